import type { Backend } from '../../backends/backend.js';
import type { IO } from '../../io.js';
import type { UpResult } from '../../services/up.js';
import { hostAlias } from '../../ssh/known-hosts.js';

/** The `up --json` object of DESIGN.md. Field names are a contract. */
export interface UpJson {
  outcome: 'success';
  name: string;
  backend: string;
  state: string;
  repository: { url: string; branch: string | null; commit: string };
  image: string;
  variant: string | null;
  ssh: { host: string; user: string; command: string };
  codeServer: { url: string | null };
  ports: { remote: number; local: number; url: string; label: string | null }[];
  createdAt: string;
}

export async function upJson(backend: Backend, result: UpResult): Promise<UpJson> {
  const w = result.workspace;
  const codeServer = await backend.endpoint(w.name, 8080).catch(() => undefined);
  return {
    outcome: 'success',
    name: w.name,
    backend: w.backend,
    state: w.state,
    repository: { url: w.repository.url, branch: w.repository.branch ?? null, commit: result.commit },
    image: w.image,
    variant: w.variant ?? null,
    ssh: { host: hostAlias(w.name), user: 'dev', command: `devc ssh -w ${w.name}` },
    codeServer: { url: codeServer ? `http://${codeServer.host}:${codeServer.port}/` : null },
    ports: [],
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
}
