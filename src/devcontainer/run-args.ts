/**
 * What `docker run` arguments and mount specs reach past the container: host namespaces, host paths,
 * devices, capabilities and protections switched off. Read conservatively: a flag's value is also read
 * as a flag, so an argument is never missed by skipping it as some other flag's value.
 */

/** One thing that reaches this machine, before it is tied to the property it came from. */
export interface Reach {
  what: string;
  /** Where a `--flag` came from, shown beside it: "--pid=host". */
  flag?: string;
}

/** How the caller tells a folder of this machine from the workspace's own tree. */
export interface PathJudge {
  /** Whether a host path (after variables and symlinks) is outside the workspace's own tree. */
  outside(hostPath: string): boolean;
}

/** Capabilities that act beyond the container's own namespaces (see capabilities(7)). */
const WIDE_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'DAC_READ_SEARCH',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'SYSLOG',
  'BPF',
  'PERFMON',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
]);

const NAMESPACES: Record<string, string> = {
  pid: 'processes',
  network: 'network',
  net: 'network',
  ipc: 'shared memory',
  uts: 'host name',
  userns: 'user namespace (root in the container is root here)',
  cgroupns: 'cgroups',
};

/** `docker run` shorthands that take a value, and the long flag each stands for. */
const SHORT_WITH_VALUE: Record<string, string> = {
  a: 'attach',
  c: 'cpu-shares',
  e: 'env',
  h: 'hostname',
  l: 'label',
  m: 'memory',
  p: 'publish',
  u: 'user',
  v: 'volume',
  w: 'workdir',
};
/** Long flags that take no value (of those that matter here). */
const SWITCHES = new Set(['privileged', 'publish-all']);
const SHORT_BOOLEAN: Record<string, string> = { d: 'detach', i: 'interactive', t: 'tty', P: 'publish-all' };

/** What these `docker run` arguments (runArgs) reach on this machine. */
export function runArgsReach(args: string[], judge: PathJudge): Reach[] {
  const found: Reach[] = [];
  for (let i = 0; i < args.length; i++) {
    for (const { name, value } of flagsIn(args[i] ?? '', args[i + 1])) {
      const reach = flagReach(name, value, judge);
      if (reach) found.push({ ...reach, flag: value === undefined ? `--${name}` : `--${name}=${value}` });
    }
  }
  return found;
}

/** The flags one argument holds: `--name=value`, `--name value`, `-v value`, `-itv value`, `-vVALUE`. */
function flagsIn(arg: string, next: string | undefined): { name: string; value: string | undefined }[] {
  if (arg.startsWith('--')) {
    const at = arg.indexOf('=');
    // A switch takes a value only as --name=value; the next argument is an argument of its own.
    if (at < 0 && SWITCHES.has(arg.slice(2))) return [{ name: arg.slice(2), value: undefined }];
    return at < 0
      ? [{ name: arg.slice(2), value: next }]
      : [{ name: arg.slice(2, at), value: arg.slice(at + 1) }];
  }
  if (!/^-[A-Za-z]/.test(arg)) return [];
  const flags: { name: string; value: string | undefined }[] = [];
  for (let j = 1; j < arg.length; j++) {
    const letter = arg[j] ?? '';
    const long = SHORT_WITH_VALUE[letter];
    if (long) {
      const rest = arg.slice(j + 1).replace(/^=/, '');
      flags.push({ name: long, value: rest === '' ? next : rest });
      break;
    }
    const boolean = SHORT_BOOLEAN[letter];
    if (!boolean) break;
    flags.push({ name: boolean, value: undefined });
  }
  return flags;
}

function flagReach(name: string, value: string | undefined, judge: PathJudge): Reach | undefined {
  switch (name) {
    case 'privileged':
      return value === 'false'
        ? undefined
        : { what: 'runs the container privileged: full access to this machine' };
    case 'pid':
    case 'network':
    case 'net':
    case 'ipc':
    case 'uts':
    case 'userns':
    case 'cgroupns':
      return namespaceReach(name, value);
    case 'cap-add': {
      const cap = (value ?? '').toUpperCase().replace(/^CAP_/, '');
      return WIDE_CAPABILITIES.has(cap)
        ? { what: `adds the ${cap} capability, which reaches past the container` }
        : undefined;
    }
    case 'device':
      return { what: `gives the container this machine's device ${(value ?? '').split(':')[0]}` };
    case 'device-cgroup-rule':
      return { what: "lets the container use this machine's devices" };
    case 'security-opt':
      return securityOptReach(value ?? '');
    case 'volume':
      return volumeFlagReach(value ?? '', judge);
    case 'mount':
      return mountReach(value ?? '', judge);
    case 'volumes-from':
      return { what: `mounts every volume of container ${value ?? ''}` };
    case 'env-file':
    case 'label-file':
      return judge.outside(value ?? '')
        ? { what: `reads ${value ?? ''} of this machine into the container` }
        : undefined;
    case 'cidfile':
      return { what: `writes ${value ?? ''} on this machine` };
    case 'publish':
      return publishReach(value ?? '');
    case 'publish-all':
      return { what: 'listens on every network interface of this machine' };
    default:
      return undefined;
  }
}

function namespaceReach(name: string, value: string | undefined): Reach | undefined {
  const mode = value ?? '';
  if (mode === 'host') return { what: `shares this machine's ${NAMESPACES[name] ?? name}` };
  if (mode.startsWith('container:'))
    return { what: `joins the ${NAMESPACES[name] ?? name} of container ${mode.slice('container:'.length)}` };
  // Another workspace's network, should workspaces get one each.
  if ((name === 'network' || name === 'net') && mode.startsWith('devc'))
    return { what: `joins network ${mode}, which belongs to devc` };
  return undefined;
}

/** `--security-opt` values that switch a protection off. */
export function securityOptReach(option: string): Reach | undefined {
  return /unconfined|^label[=:]disable$/.test(option)
    ? { what: `switches off a protection of this machine (${option})` }
    : undefined;
}

/** `-v SRC:DST[:OPTS]`: a host path when SRC looks like one, else a named volume. */
function volumeFlagReach(spec: string, judge: PathJudge): Reach | undefined {
  const [source = '', target = '', options = ''] = spec.split(':');
  if (!target) return undefined;
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) return namedVolumeReach(source, target);
  return judge.outside(source) ? bindReach(source, target, options.split(',').includes('ro')) : undefined;
}

/** A `--mount` / `mounts` entry in its string form (`type=bind,source=/etc,target=/x,readonly`). */
export function mountReach(spec: string, judge: PathJudge): Reach | undefined {
  return mountObjectReach(parseMount(spec), judge);
}

/** Docker's string form of a mount, as fields (the type defaults to volume, as Docker's does). */
export function parseMount(spec: string): MountFields {
  const fields = splitCsv(spec).map((f) => {
    const at = f.indexOf('=');
    return at < 0 ? [f.trim().toLowerCase(), 'true'] : [f.slice(0, at).trim().toLowerCase(), f.slice(at + 1)];
  });
  const get = (...keys: string[]): string | undefined => fields.find(([k]) => keys.includes(k ?? ''))?.[1];
  return {
    type: get('type') ?? 'volume',
    source: get('source', 'src'),
    target: get('target', 'destination', 'dst') ?? '',
    readonly: ['true', '1'].includes(get('readonly', 'ro') ?? 'false'),
    device: fields.find(([k, v]) => k === 'volume-opt' && /^device=/.test(v ?? ''))?.[1]?.slice(7),
  };
}

export interface MountFields {
  type: string;
  source: string | undefined;
  target: string;
  readonly: boolean;
  /** A local volume's `device=` option: a host path or device behind a "volume". */
  device?: string | undefined;
}

export function mountObjectReach(mount: MountFields, judge: PathJudge): Reach | undefined {
  if (mount.type === 'bind')
    return mount.source !== undefined && judge.outside(mount.source)
      ? bindReach(mount.source, mount.target, mount.readonly)
      : undefined;
  if (mount.type === 'volume') {
    if (mount.device !== undefined)
      return { what: `mounts ${mount.device} of this machine at ${mount.target}` };
    return mount.source ? namedVolumeReach(mount.source, mount.target) : undefined;
  }
  return undefined;
}

function bindReach(source: string, target: string, readonly: boolean): Reach {
  return { what: `binds ${source} of this machine at ${target}${readonly ? ' (read-only)' : ''}` };
}

/** devc's own volumes hold other workspaces' homes and devc's agent: not a config's to mount. */
function namedVolumeReach(name: string, target: string): Reach | undefined {
  return name.startsWith('devc-') ? { what: `mounts devc's volume ${name} at ${target}` } : undefined;
}

/** `-p [IP:][HOST:]CONTAINER[/PROTO]`: anything but a loopback address listens on the network. */
function publishReach(spec: string): Reach | undefined {
  const ip = /^(\[[^\]]*\]|[^:]*):[^:]*:/.exec(spec)?.[1]?.replace(/^\[|\]$/g, '');
  return ip === '127.0.0.1' || ip === '::1' || ip === 'localhost'
    ? undefined
    : { what: `listens on every network interface of this machine (${spec})` };
}

/** Docker's CSV form of `--mount`: commas separate fields unless quoted. */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += c;
  }
  fields.push(current);
  return fields.filter((f) => f !== '');
}
