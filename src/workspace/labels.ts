import { devcVersion } from '../version.js';
import { isWorkspaceName } from './name.js';
import { Label, type Workspace, type WorkspaceSpec } from './model.js';

/** The labels every engine object of a new workspace carries (docs/architecture.md: the engine is the database). */
export function workspaceLabels(
  spec: Pick<WorkspaceSpec, 'name' | 'repository' | 'owner' | 'home' | 'sourcePath' | 'folder'>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    [Label.workspace]: spec.name,
    [Label.repository]: spec.repository.url,
    [Label.branch]: spec.repository.branch ?? '',
    [Label.owner]: spec.owner,
    [Label.home]: spec.home,
    [Label.version]: devcVersion(),
    [Label.source]: spec.sourcePath,
    [Label.folder]: spec.folder,
    [Label.createdAt]: new Date().toISOString(),
    ...extra,
  };
}

/** The Workspace fields devc's labels hold, the same on every engine. */
export type LabelledFields = Pick<
  Workspace,
  | 'name'
  | 'repository'
  | 'variant'
  | 'folder'
  | 'sourcePath'
  | 'owner'
  | 'home'
  | 'devcontainerConfig'
  | 'createdAt'
>;

/**
 * Reads what `workspaceLabels` wrote back into Workspace fields. `notes` holds the labels whose values
 * need not be label-safe (Kubernetes keeps those in annotations; Docker has labels only); `created` is
 * the engine's own creation time, for objects of a devc that did not label it. An empty label counts as
 * none.
 */
export function readLabels(
  labels: Record<string, string>,
  created: string,
  notes: Record<string, string> = labels,
): LabelledFields {
  return {
    name: labels[Label.workspace] ?? '',
    repository: { url: notes[Label.repository] ?? '', branch: notes[Label.branch] || undefined },
    variant: labels[Label.variant] || undefined,
    folder: notes[Label.folder] || '/workspaces',
    sourcePath: notes[Label.source] || undefined,
    owner: labels[Label.owner] || undefined,
    home: labels[Label.home] || undefined,
    devcontainerConfig: notes[Label.config] || undefined,
    createdAt: notes[Label.createdAt] || created,
  };
}

/** Why an engine object (`what`, in the user's words) is left out of the workspaces, or undefined. */
export function invalidNameLabel(labels: Record<string, string>, what: string): string | undefined {
  const name = labels[Label.workspace] ?? '';
  return isWorkspaceName(name)
    ? undefined
    : `Ignored ${what}: its ${Label.workspace} label ${JSON.stringify(name)} is not a valid workspace name.`;
}
