import type { EngineKind } from '../backends/docker/engine-kind.js';
import type { Check } from './doctor.js';

/** Which engine answers (Docker or Podman, rootful or rootless, here or remote) and what it lacks. */
export async function engineCheck(env: NodeJS.ProcessEnv): Promise<Check> {
  const [{ engineKind, addressesRoutable }, { engineIsRemote }] = await Promise.all([
    import('../backends/docker/engine-kind.js'),
    import('../backends/docker/remote.js'),
  ]);
  let kind;
  let remote;
  try {
    [kind, remote] = await Promise.all([engineKind(env), engineIsRemote(env)]);
  } catch {
    return { name: 'engine', ok: false, required: false, detail: "can't tell which engine answers" };
  }
  const name = `${kind.product === 'podman' ? 'Podman' : 'Docker'} ${kind.version}`;
  const where = [
    kind.rootless ? 'rootless' : 'rootful',
    kind.local ? 'local socket' : 'remote',
    ...(kind.vm ? ['in a VM'] : []),
  ].join(', ');
  // How devc works with this engine (not something it lacks): said, but no reason for a ✗.
  const notes = [
    ...(addressesRoutable(kind)
      ? []
      : [
          `container addresses aren't routable from here: ports go through ${
            kind.local ? "each workspace's sshd, published on 127.0.0.1" : "the engine's host"
          }`,
        ]),
    ...(remote ? ['remote: the source and devc settings are copied into volumes there'] : []),
  ];
  const podmanCli = rootlessHere(kind) ? await commandRuns('podman', env) : true;
  const lacks = engineLacks(kind, podmanCli);
  return {
    name: 'engine',
    ok: lacks.length === 0,
    required: false,
    detail: [`${name} (${where})`, ...notes, ...lacks].join('; '),
    ...(lacks.length ? { fix: 'See docs/engines.md for what works on this engine.' } : {}),
  };
}

/** What devc misses on this engine; `podmanCli`: whether the `podman` command runs here. */
export function engineLacks(kind: EngineKind, podmanCli: boolean): string[] {
  return [
    ...(kind.product === 'podman'
      ? ["workspaces on the devc network aren't kept apart (Podman has no enable_icc)"]
      : []),
    // Rootless Podman workspaces are made with Podman's own CLI (docs/engines.md).
    ...(rootlessHere(kind) && !podmanCli
      ? ['the podman command is not on PATH (rootless workspaces need it)']
      : []),
  ];
}

function rootlessHere(kind: EngineKind): boolean {
  return kind.product === 'podman' && kind.rootless && kind.local;
}

async function commandRuns(command: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const { run } = await import('../process.js');
  return (await run(command, ['--version'], { env })).exitCode !== 127;
}
