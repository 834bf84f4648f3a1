import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseJsonc } from './jsonc.js';
import { mountObjectReach, mountReach, runArgsReach, type PathJudge, type Reach } from './run-args.js';

/**
 * One thing a devcontainer.json asks of the machine devc runs on (not of its container): a command run
 * here, a folder of this machine bound in, a host namespace, a capability or protection that reaches
 * past the container, a variable of this environment copied in.
 */
export interface HostAccess {
  /** Where it comes from: "initializeCommand", "mounts", "runArgs --privileged", "Feature ./x: mounts". */
  source: string;
  /** What it does, in a line. */
  what: string;
  /** What the line can't show (a Compose file's contents, hashed): trusted along with it. */
  fingerprint?: string;
}

export interface HostAccessOptions {
  /** The workspace's tree on this machine: binds inside it are the workspace's own. */
  sourcePath: string;
  /** The config, relative to the tree. */
  configFile: string;
  /** This machine's environment, for ${localEnv:…}. */
  env: NodeJS.ProcessEnv;
  /** The path with symlinks followed (a link in the tree to /etc reaches /etc). */
  realpath(p: string): string;
  /** A file's text, or undefined when it can't be read (local Features, Compose files). */
  readFile(p: string): string | undefined;
}

/** `docker build` options that change nothing outside the build. */
const QUIET_BUILD_OPTIONS = new Set([
  '--pull',
  '--no-cache',
  '--platform',
  '--progress',
  '--target',
  '--build-arg',
  '--label',
  '--quiet',
  '-q',
  '--rm',
  '--force-rm',
  '--compress',
]);

/**
 * Everything in this config (and the Features it keeps in the repository) that reaches this machine,
 * in a stable order. Images and Features from registries can ask for more through their metadata;
 * that is fetched only by the Dev Containers CLI, after this.
 */
export function hostAccess(config: Record<string, unknown>, options: HostAccessOptions): HostAccess[] {
  const tree = options.realpath(options.sourcePath);
  const configDir = path.dirname(path.resolve(options.sourcePath, options.configFile));
  const expanded = expandDeep(config, options) as Record<string, unknown>;
  const judge: PathJudge = {
    // Relative and ~ paths resolve against wherever docker runs: not provably the tree.
    outside: (p) => !path.isAbsolute(p) || !inside(tree, options.realpath(p)),
  };
  const found: HostAccess[] = [];
  const add = (source: string, reach: Reach | undefined): void => {
    if (reach) found.push({ source: reach.flag ? `${source} ${reach.flag}` : source, what: reach.what });
  };

  for (const command of commandsOf(expanded.initializeCommand))
    found.push({ source: 'initializeCommand', what: `runs \`${command}\` on this machine` });
  containerReach(expanded, judge).forEach(([key, reach]) => add(key, reach));
  if (typeof expanded.workspaceMount === 'string')
    add('workspaceMount', mountReach(expanded.workspaceMount, judge));
  for (const reach of runArgsReach(strings(expanded.runArgs), judge)) add('runArgs', reach);
  for (const port of strings(expanded.appPort))
    runArgsReach(['--publish', port], judge).forEach((r) => add('appPort', { what: r.what }));
  found.push(...buildReach(expanded, configDir, judge));
  found.push(...composeReach(expanded.dockerComposeFile, configDir, options));
  found.push(...featuresReach(expanded.features, configDir, tree, judge, options));
  const names = localEnvNames(config);
  if (names.length > 0)
    found.push({
      source: 'localEnv',
      what: `copies ${names.join(', ')} from this machine's environment into the workspace`,
    });
  return found;
}

/** A short, stable digest of what was shown: what a yes is remembered by. */
export function hostAccessHash(access: HostAccess[]): string {
  const canonical = JSON.stringify(access.map((a) => [a.source, a.what, a.fingerprint ?? '']));
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** privileged, capAdd, securityOpt and mounts: properties a config and a Feature both have. */
function containerReach(entry: Record<string, unknown>, judge: PathJudge): [string, Reach | undefined][] {
  const found: [string, Reach | undefined][] = [];
  if (entry.privileged === true)
    found.push(['privileged', { what: 'runs the container privileged: full access to this machine' }]);
  for (const cap of strings(entry.capAdd))
    found.push(['capAdd', stripFlag(runArgsReach(['--cap-add', cap], judge)[0])]);
  for (const option of strings(entry.securityOpt))
    found.push(['securityOpt', stripFlag(runArgsReach(['--security-opt', option], judge)[0])]);
  for (const mount of Array.isArray(entry.mounts) ? entry.mounts : []) {
    if (typeof mount === 'string') found.push(['mounts', mountReach(mount, judge)]);
    else if (mount && typeof mount === 'object') {
      const m = mount as Record<string, unknown>;
      found.push([
        'mounts',
        mountObjectReach(
          {
            type: typeof m.type === 'string' ? m.type : 'volume',
            source: typeof m.source === 'string' ? m.source : undefined,
            target: typeof m.target === 'string' ? m.target : '',
            readonly: false,
          },
          judge,
        ),
      ]);
    }
  }
  return found;
}

/** A build context outside the tree sends this machine's files to the build; unusual options go as they are. */
function buildReach(config: Record<string, unknown>, configDir: string, judge: PathJudge): HostAccess[] {
  const build = (config.build && typeof config.build === 'object' ? config.build : {}) as Record<
    string,
    unknown
  >;
  const found: HostAccess[] = [];
  const dockerfile = build.dockerfile ?? build.dockerFile ?? config.dockerFile ?? config.dockerfile;
  const context = build.context ?? config.context;
  if (typeof dockerfile === 'string' || typeof context === 'string') {
    const dir = path.resolve(configDir, typeof context === 'string' ? context : '.');
    if (judge.outside(dir))
      found.push({ source: 'build.context', what: `sends ${dir} of this machine to the image build` });
  }
  const options = strings(build.options);
  const loud = options.filter((o) => o.startsWith('-') && !QUIET_BUILD_OPTIONS.has(o.split('=')[0] ?? o));
  if (loud.length > 0)
    found.push({ source: 'build.options', what: `passes \`${options.join(' ')}\` to docker build` });
  return found;
}

/** devc doesn't read Compose files: their services can bind this machine's folders or run privileged. */
function composeReach(files: unknown, configDir: string, options: HostAccessOptions): HostAccess[] {
  const list = typeof files === 'string' ? [files] : strings(files);
  if (list.length === 0) return [];
  const resolved = list.map((f) => path.resolve(configDir, f));
  const hash = createHash('sha256');
  for (const file of resolved) hash.update(`${file}\0${options.readFile(file) ?? ''}\0`);
  const shown = resolved.map((f) => path.relative(options.sourcePath, f)).join(', ');
  return [
    {
      source: 'dockerComposeFile',
      what: `starts the Compose services of ${shown}, which can bind this machine's folders or run privileged`,
      fingerprint: hash.digest('hex'),
    },
  ];
}

/** Features kept in the repository: read here, as the Dev Containers CLI will. */
function featuresReach(
  features: unknown,
  configDir: string,
  tree: string,
  judge: PathJudge,
  options: HostAccessOptions,
): HostAccess[] {
  if (!features || typeof features !== 'object') return [];
  const found: HostAccess[] = [];
  for (const id of Object.keys(features)) {
    if (!/^(\.{1,2}\/|\/)/.test(id)) continue;
    const dir = path.resolve(configDir, id);
    if (!inside(tree, options.realpath(dir))) {
      found.push({ source: `Feature ${id}`, what: `builds a Feature from ${dir} of this machine` });
      continue;
    }
    const text = options.readFile(path.join(dir, 'devcontainer-feature.json'));
    let manifest: unknown;
    try {
      manifest = text === undefined ? undefined : parseJsonc(text);
    } catch {
      manifest = undefined;
    }
    if (!manifest || typeof manifest !== 'object') continue;
    const expanded = expandDeep(manifest, options) as Record<string, unknown>;
    for (const [key, reach] of containerReach(expanded, judge))
      if (reach) found.push({ source: `Feature ${id}: ${key}`, what: reach.what });
  }
  return found;
}

/** initializeCommand's forms: a shell string, an argv array, or named commands run in parallel. */
function commandsOf(value: unknown): string[] {
  if (typeof value === 'string') return [oneLine(value)];
  if (Array.isArray(value)) return [value.map(String).join(' ')];
  if (value && typeof value === 'object') return Object.values(value).flatMap((v) => commandsOf(v));
  return [];
}

/** Variables of this machine's environment the config reads (`${localEnv:NAME}`, `${env:NAME}`). */
function localEnvNames(config: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/\$\{(?:localEnv|env):([^}:]+)/g)) if (m[1]) names.add(m[1]);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(config);
  return [...names].sort();
}

/** The variables the Dev Containers CLI resolves from this machine, resolved the same way. */
function expandDeep(value: unknown, options: HostAccessOptions): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([^}:]+)(?::([^}:]*)(?::([^}]*))?)?\}/g,
      (whole, name: string, arg?: string, def?: string) => {
        if ((name === 'localEnv' || name === 'env') && arg !== undefined)
          return options.env[arg] ?? def ?? '';
        if (name === 'localWorkspaceFolder') return options.sourcePath;
        if (name === 'localWorkspaceFolderBasename') return path.basename(options.sourcePath);
        return whole;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => expandDeep(v, options));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandDeep(v, options)]));
  return value;
}

function inside(tree: string, target: string): boolean {
  const rel = path.relative(tree, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function stripFlag(reach: Reach | undefined): Reach | undefined {
  return reach ? { what: reach.what } : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
