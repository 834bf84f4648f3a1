import { DevcError } from '../../errors.js';
import { engineGet } from './api.js';
import { docker } from './engine.js';
import { addressesRoutable, engineKind } from './engine-kind.js';

/**
 * The one bridge network every workspace joins. Inter-container traffic is off on it (the engine drops
 * it with iptables), so no workspace reaches another's sshd, code-server or dev servers, while each
 * still reaches the internet and the host, and the host still reaches each container's address (the
 * port forwarder dials it). One shared network costs one engine question per `up`; a network per
 * workspace would cost a create and a remove, and the engine's address pools run out at about 30.
 */
export const WORKSPACE_NETWORK = 'devc';
/** Marks the network as devc's (what `docker network ls --filter label=…` finds). */
export const NETWORK_LABEL = 'dev.devc.network';
const ICC = 'com.docker.network.bridge.enable_icc';

interface NetworkFacts {
  Id: string;
  Name: string;
  Created: string;
  Driver?: string;
  Options?: Record<string, string> | null;
}

/**
 * The id of devc's network, made on first use. An id, not the name: engines before Docker 25 let
 * two `up`s that start at once both create a network of that name, and a name two networks share can't
 * be used. Each then takes the oldest, and removes its own if that is not the one.
 */
export async function ensureWorkspaceNetwork(): Promise<string> {
  const found = oldest(await listNetworks());
  if (found) return await checked(found);
  const made = await docker(
    [
      'network',
      'create',
      '--driver',
      'bridge',
      '--opt',
      `${ICC}=false`,
      '--label',
      `${NETWORK_LABEL}=isolated`,
      WORKSPACE_NETWORK,
    ],
    { allowFailure: true },
  );
  const mine = made.exitCode === 0 ? made.stdout.trim() : undefined;
  const first = oldest(await listNetworks());
  if (!first) {
    const cause = made.stderr
      .trim()
      .split('\n')[0]
      ?.replace(/^Error response from daemon: /, '');
    throw new DevcError(
      `Can't create the Docker network ${WORKSPACE_NETWORK}: ${cause || 'no reason given'}.`,
      {
        hint: 'Workspaces need it to stay apart from each other. Check `docker network ls`, or run `devc doctor`.',
        details: made.stderr.trim(),
      },
    );
  }
  if (mine && first.Id !== mine) await docker(['network', 'rm', mine], { allowFailure: true });
  return await checked(first);
}

/**
 * Whether `docker run` arguments already choose a network (a config's own `runArgs`): the user's
 * choice stands, and such a workspace is not isolated by devc.
 */
export function choosesNetwork(runArgs: readonly string[]): boolean {
  return runArgs.some((a) => /^--net(work)?(=|$)/.test(a));
}

/** `--network ID` of devc's network for a container devc runs, or nothing when its arguments choose one. */
export async function networkArgs(runArgs: readonly string[] = []): Promise<string[]> {
  return choosesNetwork(runArgs) ? [] : ['--network', await ensureWorkspaceNetwork()];
}

/**
 * `--publish` of sshd and code-server on 127.0.0.1 for a repository's own container on a local engine
 * whose container addresses don't route here (rootless Docker or Podman), as dev8 workspaces have: SSH
 * and the editor then reach a port here instead of a relay through the engine per connection. Nothing
 * when its arguments choose a network, nor on a routable or remote engine.
 */
export async function loopbackPublishArgs(runArgs: readonly string[] = []): Promise<string[]> {
  if (choosesNetwork(runArgs)) return [];
  const kind = await engineKind();
  if (!kind.local || addressesRoutable(kind)) return [];
  return ['--publish', '127.0.0.1::2222', '--publish', '127.0.0.1::8080'];
}

/**
 * A bridge network made with inter-container traffic off. Podman takes the same request but turns it
 * into its own `isolate` option (apart from other networks, not its containers from each other) and
 * shows no options through its Docker API: accepted there, and `devc doctor` says what it lacks.
 */
async function checked(network: NetworkFacts): Promise<string> {
  const apart = network.Options?.[ICC] === 'false' || (await engineKind()).product === 'podman';
  if (network.Driver !== 'bridge' || !apart) {
    throw new DevcError(`The Docker network ${WORKSPACE_NETWORK} lets containers reach each other.`, {
      hint: `devc made none like it: remove it (\`docker network rm ${WORKSPACE_NETWORK}\`) and run \`devc up\` again.`,
    });
  }
  return network.Id;
}

function oldest(networks: NetworkFacts[]): NetworkFacts | undefined {
  return networks
    .filter((n) => n.Name === WORKSPACE_NETWORK)
    .sort((x, y) => x.Created.localeCompare(y.Created) || x.Id.localeCompare(y.Id))[0];
}

/** Networks whose name contains devc's (the engine's filter matches parts of names). */
async function listNetworks(): Promise<NetworkFacts[]> {
  const filters = encodeURIComponent(JSON.stringify({ name: [WORKSPACE_NETWORK] }));
  const api = await engineGet<NetworkFacts[]>(`/networks?filters=${filters}`);
  if (api?.status === 200 && api.body) return api.body;
  const ids = (
    await docker(['network', 'ls', '-q', '--no-trunc', '--filter', `name=${WORKSPACE_NETWORK}`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  // One may go between the two calls (another `up` removing its own): inspect reports the others.
  const inspected = await docker(['network', 'inspect', ...ids], { allowFailure: true });
  return inspected.stdout.trim() ? (JSON.parse(inspected.stdout) as NetworkFacts[]) : [];
}
