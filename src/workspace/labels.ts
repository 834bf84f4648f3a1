import { createHash } from 'node:crypto';
import { devcVersion } from '../version.js';
import { isWorkspaceName } from './name.js';
import { Label, type ImageSource, type Workspace, type WorkspaceSpec } from './model.js';

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
  | 'imageSource'
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
    // Kubernetes: the real name in the annotation, the label a label-safe form (ownerLabel).
    owner: notes[Label.owner] || labels[Label.owner] || undefined,
    home: labels[Label.home] || undefined,
    devcontainerConfig: notes[Label.config] || undefined,
    imageSource: imageSourceOf(notes[Label.imageSource] ?? labels[Label.imageSource]),
    createdAt: notes[Label.createdAt] || created,
  };
}

function imageSourceOf(value: string | undefined): ImageSource | undefined {
  return value === 'prebuild' || value === 'built' || value === 'image' ? value : undefined;
}

/** Why an engine object (`what`, in the user's words) is left out of the workspaces, or undefined. */
export function invalidNameLabel(labels: Record<string, string>, what: string): string | undefined {
  const name = labels[Label.workspace] ?? '';
  return isWorkspaceName(name)
    ? undefined
    : `Ignored ${what}: its ${Label.workspace} label ${JSON.stringify(name)} is not a valid workspace name.`;
}

/** A string made valid as a Kubernetes label value: [A-Za-z0-9._-], at most 63, alphanumeric at both ends. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '') || 'unknown';
}

/**
 * The `dev.devc.owner` label value of a user on engines whose labels are restricted (Kubernetes): the
 * name itself when it is a valid label value (`alice`), else its label-safe form and a hash of the
 * real name (`alice-example.com-3f2a9c1b7d`), so two names never share a label. The real name goes in
 * the `dev.devc.owner` annotation beside it; readLabels prefers that.
 */
export function ownerLabel(owner: string): string {
  if (/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(owner)) return owner;
  const hash = createHash('sha256').update(owner).digest('hex').slice(0, 10);
  return `${labelValue(owner.slice(0, 52))}-${hash}`;
}
