import { devcVersion } from '../version.js';
import { Label, type WorkspaceSpec } from './model.js';

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
