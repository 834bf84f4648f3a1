import type { Backend } from '../../backends/backend.js';
import type { IO } from '../../io.js';
import type { PortStatus } from '../../ports/files.js';
import type { UpResult } from '../../services/up.js';
import { hostAlias } from '../../ssh/known-hosts.js';

/** The `up --json` object (README.md, "Scripting and CI"). Field names are a contract. */
export interface UpJson {
  outcome: 'success';
  name: string;
  backend: string;
  state: string;
  repository: { url: string; branch: string | null; commit: string };
  image: string;
  /** prebuild: a content-hash tag found (devc prebuild); built: by this up; image: as named; null: not recorded. */
  imageSource: 'prebuild' | 'built' | 'image' | null;
  variant: string | null;
  ssh: { host: string; user: string; command: string };
  codeServer: { url: string | null };
  ports: { remote: number; local: number; url: string; label: string | null }[];
  createdAt: string;
}

export async function upJson(backend: Backend, result: UpResult, ports: PortStatus[] = []): Promise<UpJson> {
  const w = result.workspace;
  // On Kubernetes, and on engines whose ports devc relays (remote, rootless), an endpoint is a listener
  // that ends with this process: no URL that would die at once (`devc code --web` opens one that lasts).
  const endpoint =
    w.backend === 'kubernetes' ? undefined : await backend.endpoint(w.name, 8080).catch(() => undefined);
  const codeServer = endpoint?.transient ? undefined : endpoint;
  return {
    outcome: 'success',
    name: w.name,
    backend: w.backend,
    state: w.state,
    repository: { url: w.repository.url, branch: w.repository.branch ?? null, commit: result.commit },
    image: w.image,
    imageSource: w.imageSource ?? null,
    variant: w.variant ?? null,
    ssh: { host: hostAlias(w.name), user: 'dev', command: `devc ssh -w ${w.name}` },
    codeServer: { url: codeServer ? `http://${codeServer.host}:${codeServer.port}/` : null },
    ports: ports.flatMap((p) =>
      p.local !== null && p.url !== null
        ? [{ remote: p.remote, local: p.local, url: p.url, label: p.label }]
        : [],
    ),
    createdAt: w.createdAt,
  };
}

export function renderUp(io: IO, json: UpJson, created: boolean): void {
  io.err('');
  io.err(
    `${created ? 'Workspace created' : 'Workspace resumed'}: ${io.paint('bold', json.name)} (${json.repository.url}${json.repository.branch ? `@${json.repository.branch}` : ''})`,
  );
  io.out(json.name);
  io.err(`  Shell:  devc ssh -w ${json.name}`);
  io.err(`  Run:    devc exec -w ${json.name} -- CMD`);
  io.err(`  Editor: devc code --web -w ${json.name}`);
  for (const p of json.ports) io.err(`  Port:   ${p.remote} → ${p.url}${p.label ? ` (${p.label})` : ''}`);
}

/** Says which ports moved to another local port, or could not be forwarded (stderr). */
export function renderPortNotes(io: IO, ports: PortStatus[]): void {
  for (const p of ports) {
    if (p.state === 'failed')
      io.err(io.paint('red', `✗ Port ${p.remote} is not forwarded: ${p.message ?? 'failed'}.`));
    else if (p.message) io.warn(`Port ${p.remote}: ${p.message}.`);
  }
}
