import type { Workspace } from './model.js';

/** The stable JSON shape of one workspace in `list --json`; `mine`: this DEVC_HOME made it. */
export function workspaceJson(w: Workspace, mine: boolean): Record<string, unknown> {
  return {
    name: w.name,
    backend: w.backend,
    state: w.state,
    stateReason: w.stateReason ?? null,
    repository: { url: w.repository.url, branch: w.repository.branch ?? null },
    image: w.image,
    variant: w.variant ?? null,
    folder: w.folder,
    createdAt: w.createdAt,
    idleTimeoutSeconds: w.idleTimeoutSeconds ?? null,
    owner: w.owner ?? null,
    mine,
  };
}
