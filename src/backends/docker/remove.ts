import { Label } from '../../workspace/model.js';
import { docker } from './engine.js';
import { shortImageName, type InspectedContainer } from './inspect.js';

/**
 * Removes a workspace's containers (by label: a container the Dev Containers CLI made may not carry
 * devc's name yet), a Compose config's other services, and, unless `keepData`, the image the CLI built
 * for it and its volumes.
 */
export async function removeWorkspace(
  name: string,
  keepData: boolean,
  inspect: (refs: string[]) => Promise<InspectedContainer[]>,
): Promise<void> {
  const ids = (await docker(['ps', '-a', '-q', '--filter', `label=${Label.workspace}=${name}`])).stdout
    .split('\n')
    .filter(Boolean);
  const [container] = ids.length > 0 ? await inspect(ids) : [];
  if (ids.length > 0)
    await docker(['rm', '--force', ...(keepData ? [] : ['--volumes']), ...ids], {
      allowFailure: true,
    });
  // A Compose config's other services (and its network) belong to the workspace too.
  const project = container?.Config.Labels?.['com.docker.compose.project'];
  if (project) await removeComposeProject(project, keepData);
  if (keepData) return;
  // The image the Dev Containers CLI built for this workspace (vsc-…), unless another container uses it.
  // When the config's user is not the host user's uid, the CLI builds a `…-uid` image on top of its
  // first one: both go.
  const image = container ? shortImageName(container.Config.Image) : '';
  if (image.startsWith('vsc-')) {
    const images = [
      container!.Config.Image,
      ...(/-uid(:latest)?$/.test(image) ? [image.replace(/-uid(:latest)?$/, '')] : []),
    ];
    for (const ref of images) await docker(['image', 'rm', ref], { allowFailure: true });
  }
  const volumes = await docker(['volume', 'ls', '-q', '--filter', `label=${Label.workspace}=${name}`]);
  const names = volumes.stdout.split('\n').filter(Boolean);
  if (names.length > 0) await docker(['volume', 'rm', '--force', ...names]);
}

async function removeComposeProject(project: string, keepData: boolean): Promise<void> {
  const filter = `label=com.docker.compose.project=${project}`;
  const ids = (await docker(['ps', '-a', '-q', '--filter', filter])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0)
    await docker(['rm', '--force', ...(keepData ? [] : ['--volumes']), ...ids], { allowFailure: true });
  if (keepData) return;
  const networks = (await docker(['network', 'ls', '-q', '--filter', filter])).stdout
    .split('\n')
    .filter(Boolean);
  if (networks.length > 0) await docker(['network', 'rm', ...networks], { allowFailure: true });
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', filter])).stdout
    .split('\n')
    .filter(Boolean);
  if (volumes.length > 0) await docker(['volume', 'rm', '--force', ...volumes], { allowFailure: true });
}
