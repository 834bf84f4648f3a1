import { DevcError } from '../../errors.js';
import { parseMount, type MountFields } from '../../devcontainer/run-args.js';

/** What a devcontainer.json's `mounts`, `runArgs` and `capAdd` become in the workspace's pod. */
export interface PodConfig {
  /** `--env`/`-e K=V` of runArgs (containerEnv is applied apart). */
  env: Record<string, string>;
  /** `--cap-add` and `capAdd`, without the CAP_ prefix. */
  capabilities: string[];
  /** `--shm-size` in bytes: a memory emptyDir at /dev/shm. */
  shmBytes?: number;
  /** `workspace`: a folder of the workspace's volume (kept with it); `empty`/`memory`: an emptyDir. */
  mounts: { kind: 'workspace' | 'empty' | 'memory'; target: string; source?: string; readOnly: boolean }[];
  /** One line naming what has no pod equivalent, or undefined. */
  warning?: string;
}

/** Keys of a config that change nothing in a pod (appPort: use forwardPorts). */
const NOT_APPLIED = ['appPort', 'init', 'securityOpt', 'overrideCommand', 'shutdownAction'];
/** runArgs flags that take a value (so `--flag value` is one flag, named once in the warning). */
const TAKES_VALUE = new Set(
  'add-host,annotation,blkio-weight,cap-add,cap-drop,cgroup-parent,cgroupns,cpu-shares,cpus,cpuset-cpus,device,dns,dns-option,dns-search,entrypoint,env,env-file,expose,gpus,group-add,health-cmd,hostname,ip,ipc,isolation,label,label-file,link,log-driver,log-opt,mac-address,memory,memory-reservation,memory-swap,mount,name,network,net,pid,platform,publish,pull,restart,runtime,security-opt,shm-size,stop-signal,stop-timeout,storage-opt,sysctl,tmpfs,ulimit,user,userns,uts,volume,volumes-from,workdir'.split(
    ',',
  ),
);
const SHORT: Record<string, string> = {
  e: 'env',
  v: 'volume',
  u: 'user',
  p: 'publish',
  w: 'workdir',
  h: 'hostname',
  m: 'memory',
  l: 'label',
};
/** Folders of the pod that belong to devc: a mount there would hide the workspace or the agent. */
const AGENT = ['/etc/devc', '/run/devc', '/etc/ssh'];
/** The volume's own folders can't be covered either (a folder inside them can, e.g. ~/.cache). */
const OWN = ['/home', '/workspaces', ...AGENT];

/** Maps the config's mounts, runArgs and capAdd; bind mounts and mounts over devc's folders are refused. */
export function mapConfig(
  configuration: Record<string, unknown>,
  configFile: string,
  workspace: string,
): PodConfig {
  const config: PodConfig = { env: {}, capabilities: [], mounts: [] };
  const ignored: string[] = [];
  const args = strings(configuration.runArgs);
  for (let i = 0; i < args.length; i++) {
    const flag = flagAt(args, i);
    i = flag.next;
    if (flag.name === 'cap-add' && flag.value) config.capabilities.push(capability(flag.value));
    else if (flag.name === 'shm-size' && flag.value) config.shmBytes = bytes(flag.value, configFile);
    else if (flag.name === 'env' && flag.value?.includes('=')) {
      const at = flag.value.indexOf('=');
      config.env[flag.value.slice(0, at)] = flag.value.slice(at + 1);
    } else
      ignored.push(
        flag.name === 'env' ? `--env ${flag.value ?? ''} (a value from this machine)` : flag.shown,
      );
  }
  config.capabilities.push(...strings(configuration.capAdd).map(capability));
  for (const entry of Array.isArray(configuration.mounts) ? configuration.mounts : []) {
    config.mounts.push(mountOf(fieldsOf(entry), configFile, workspace));
  }
  const keys = NOT_APPLIED.filter((key) => configuration[key] !== undefined && configuration[key] !== false);
  const items = [...(ignored.length > 0 ? [`runArgs ${ignored.join(', ')}`] : []), ...keys];
  const many = ignored.length + keys.length > 1;
  if (items.length > 0)
    config.warning = `${configFile}: ${items.join(', ')} ha${many ? 've' : 's'} no equivalent in a Kubernetes pod and ${many ? 'are' : 'is'} not applied.`;
  return config;
}

/** One flag of `args` at `i`: its name, value, how it reads, and the index of its last argument. */
function flagAt(args: string[], i: number): { name: string; value?: string; shown: string; next: number } {
  const arg = args[i] ?? '';
  const long = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
  const short = /^-([A-Za-z])(.*)$/s.exec(arg);
  const name = long?.[1] ?? (short ? (SHORT[short[1] ?? ''] ?? short[1] ?? '') : arg);
  const inline = long ? long[2] : short?.[2] ? short[2].replace(/^=/, '') : undefined;
  if (inline !== undefined) return { name, value: inline, shown: arg, next: i };
  if ((long || short) && TAKES_VALUE.has(name) && i + 1 < args.length)
    return { name, value: args[i + 1] ?? '', shown: `${arg} ${args[i + 1] ?? ''}`, next: i + 1 };
  return { name, shown: arg, next: i };
}

function capability(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}

/** Docker's sizes: a number with an optional b, k, m or g (powers of 1024). */
function bytes(size: string, configFile: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(size.trim());
  if (!match)
    throw new DevcError(`${configFile}: runArgs --shm-size ${size} is not a size.`, {
      hint: 'Write it as e.g. 1g or 512m.',
    });
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

function fieldsOf(entry: unknown): MountFields {
  if (typeof entry === 'string') return parseMount(entry);
  const o = (entry ?? {}) as Record<string, unknown>;
  return {
    type: typeof o.type === 'string' ? o.type : 'volume',
    source: typeof o.source === 'string' ? o.source : undefined,
    target: typeof o.target === 'string' ? o.target : '',
    readonly: false,
  };
}

function mountOf(mount: MountFields, configFile: string, workspace: string): PodConfig['mounts'][number] {
  const refuse = (why: string, hint: string): never => {
    throw new DevcError(
      `${configFile}: the mount of ${mount.source ?? '(none)'} at ${mount.target || '(no target)'} ${why}`,
      { hint },
    );
  };
  if (!mount.target.startsWith('/')) refuse('has no absolute target.', 'Give the mount a "target" folder.');
  const target = mount.target.replace(/\/+$/, '');
  if (OWN.some((own) => target === own || (AGENT.includes(own) && target.startsWith(`${own}/`))))
    refuse("covers a folder devc's agent uses.", 'Mount somewhere else (e.g. under the home folder).');
  if (mount.type === 'bind')
    refuse(
      "is a bind mount: the cluster's nodes don't have this machine's folders.",
      "Put the files in the repository, or use a volume mount (type=volume), which lives in the workspace's volume.",
    );
  if (mount.type === 'tmpfs') return { kind: 'memory', target: mount.target, readOnly: mount.readonly };
  if (mount.type !== 'volume')
    refuse(`is of type ${mount.type}, which has no equivalent in a pod.`, 'Use type=volume or type=tmpfs.');
  if (!mount.source) return { kind: 'empty', target: mount.target, readOnly: mount.readonly };
  // A named volume is a folder of the workspace's own volume: it lasts as long as the workspace.
  const source = mount.source.replace(/\$\{devcontainerId\}/g, workspace).replace(/[^A-Za-z0-9._-]/g, '-');
  return { kind: 'workspace', source, target: mount.target, readOnly: mount.readonly };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
