import { Label, type Workspace } from '../../workspace/model.js';
import { invalidNameLabel, readLabels } from '../../workspace/labels.js';
import { engineGet } from './api.js';
import { docker } from './engine.js';

/** What devc reads of `docker volume inspect`. */
export interface InspectedVolume {
  Name: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
}

/**
 * Workspaces whose container is gone (`docker rm -f`) while their volumes stay: state `missing`, so
 * `list` shows them and `delete` can remove what is left. Volumes whose workspace label is no valid
 * name are left out and reported.
 */
export function leftoverWorkspaces(
  volumes: InspectedVolume[],
  containerWorkspaces: Set<string>,
  onIgnored: (message: string) => void = () => undefined,
): Workspace[] {
  const byName = new Map<string, InspectedVolume>();
  for (const volume of volumes) {
    const ignored = invalidNameLabel(volume.Labels ?? {}, `volume ${volume.Name}`);
    if (ignored) {
      onIgnored(ignored);
      continue;
    }
    const name = volume.Labels?.[Label.workspace] ?? '';
    if (containerWorkspaces.has(name)) continue;
    // The home volume carries the workspace's labels; a Compose volume may carry only the name.
    const known = byName.get(name);
    if (!known || labelCount(volume) > labelCount(known)) byName.set(name, volume);
  }
  return [...byName.entries()]
    .map(([name, volume]) => missingWorkspace(name, volume))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function missingWorkspace(name: string, volume: InspectedVolume): Workspace {
  const labels = volume.Labels ?? {};
  const repository = labels[Label.repository] || undefined;
  return {
    ...readLabels(labels, volume.CreatedAt || ''),
    backend: 'docker',
    state: 'missing',
    stateReason: `its container is gone; \`devc up ${repository ?? 'REPO'} --name ${name}\` brings it back, \`devc delete -w ${name}\` removes what is left`,
    image: '',
    user: 'dev',
    id: volume.Name,
  };
}

function labelCount(volume: InspectedVolume): number {
  return Object.keys(volume.Labels ?? {}).length;
}

/** Every volume labelled with a workspace, and the workspace names that still have a container. */
export async function dockerLeftovers(onIgnored?: (message: string) => void): Promise<Workspace[]> {
  const [volumes, containers] = await Promise.all([labelledVolumes(), containerWorkspaceNames()]);
  return leftoverWorkspaces(volumes, containers, onIgnored);
}

const filters = encodeURIComponent(JSON.stringify({ label: [Label.workspace] }));

async function labelledVolumes(): Promise<InspectedVolume[]> {
  const api = await engineGet<{ Volumes: InspectedVolume[] | null }>(`/volumes?filters=${filters}`);
  if (api?.status === 200 && api.body) return api.body.Volumes ?? [];
  const names = (await docker(['volume', 'ls', '-q', '--filter', `label=${Label.workspace}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (names.length === 0) return [];
  // One may go between the two calls: inspect answers for the others.
  const inspected = await docker(['volume', 'inspect', ...names], { allowFailure: true });
  return inspected.stdout.trim() ? (JSON.parse(inspected.stdout) as InspectedVolume[]) : [];
}

async function containerWorkspaceNames(): Promise<Set<string>> {
  const api = await engineGet<{ Labels: Record<string, string> | null }[]>(
    `/containers/json?all=1&filters=${filters}`,
  );
  if (api?.status === 200 && api.body) return new Set(api.body.map((c) => c.Labels?.[Label.workspace] ?? ''));
  const out = await docker([
    'ps',
    '-a',
    '--filter',
    `label=${Label.workspace}`,
    '--format',
    `{{.Label "${Label.workspace}"}}`,
  ]);
  return new Set(out.stdout.split('\n'));
}
