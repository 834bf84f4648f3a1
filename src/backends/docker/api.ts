import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { docker } from './engine.js';

/**
 * Read-only questions to the Docker Engine API over its unix socket. One answer costs a few
 * milliseconds where a `docker` CLI call costs tens (a Go binary starting up), and `up` asks a dozen.
 * Anything else (a TCP or SSH DOCKER_HOST or docker context, a socket devc can't open) goes through
 * the CLI, which knows every way of reaching an engine; so does every change to the engine's state.
 */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // The docker CLI's order: DOCKER_HOST, then DOCKER_CONTEXT, then the context in use.
  if (env.DOCKER_HOST) return unixPath(env.DOCKER_HOST);
  const context = env.DOCKER_CONTEXT || currentContext(env);
  if (context && context !== 'default') return unixPath(contextHost(env, context));
  return '/var/run/docker.sock';
}

function unixPath(host: string | undefined): string | undefined {
  return host?.startsWith('unix://') ? host.slice(7) : undefined;
}

function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
}

/** The context `docker context use` chose, if any (the default one reaches the local socket). */
function currentContext(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const config = JSON.parse(readFileSync(path.join(dockerConfigDir(env), 'config.json'), 'utf8')) as {
      currentContext?: string;
    };
    return config.currentContext || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The engine a docker context names (Docker Desktop's `desktop-linux`, Colima, OrbStack: a unix socket
 * here), from the file the docker CLI keeps it in: contexts/meta/SHA256(NAME)/meta.json.
 */
function contextHost(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const id = createHash('sha256').update(name).digest('hex');
  try {
    const meta = JSON.parse(
      readFileSync(path.join(dockerConfigDir(env), 'contexts', 'meta', id, 'meta.json'), 'utf8'),
    ) as { Endpoints?: { docker?: { Host?: string } } };
    return meta.Endpoints?.docker?.Host;
  } catch {
    return undefined;
  }
}

let socket: string | undefined | null = null;

/** GET a path of the Engine API: its status and JSON body, or undefined when the API can't be used. */
export function engineGet<T>(apiPath: string): Promise<{ status: number; body: T | undefined } | undefined> {
  if (socket === null) socket = engineSocket();
  const socketPath = socket;
  if (!socketPath || /[\s?#]/.test(apiPath.split('?')[0] ?? '')) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const request = http.get(
      { socketPath, path: apiPath, headers: { Host: 'docker' }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          try {
            resolve({
              status,
              body: status === 200 ? (JSON.parse(Buffer.concat(chunks).toString()) as T) : undefined,
            });
          } catch {
            resolve(undefined);
          }
        });
        res.on('error', () => resolve(undefined));
      },
    );
    // No socket, no permission, a timeout: the CLI answers instead, with its own error if it fails too.
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
  });
}

/** What devc reads of an image. */
export interface ImageInspect {
  Id: string;
  /** Its names as the engine stores them (Podman: fully qualified, `localhost/NAME:TAG`). */
  RepoTags?: string[] | null;
  /** `repository@sha256:…` of each registry the image was pushed to or pulled from. */
  RepoDigests?: string[] | null;
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null; User?: string } | null;
}

/** `docker image inspect REF`, or undefined when the image is not on this engine. */
export async function inspectImage(ref: string): Promise<ImageInspect | undefined> {
  const api = await engineGet<ImageInspect>(`/images/${ref}/json`);
  if (settled(api)) return api.body;
  const cli = await docker(['image', 'inspect', ref], { allowFailure: true });
  return cli.exitCode === 0 ? (JSON.parse(cli.stdout) as ImageInspect[])[0] : undefined;
}

/** Whether the volume exists. */
/** A volume's labels; undefined when there is no such volume. */
export async function volumeLabels(name: string): Promise<Record<string, string> | undefined> {
  const api = await engineGet<{ Labels?: Record<string, string> | null }>(`/volumes/${name}`);
  if (settled(api)) return api.status === 200 ? (api.body?.Labels ?? {}) : undefined;
  const cli = await docker(['volume', 'inspect', '--format', '{{json .Labels}}', name], {
    allowFailure: true,
  });
  if (cli.exitCode !== 0) return undefined;
  return (JSON.parse(cli.stdout.trim() || 'null') as Record<string, string> | null) ?? {};
}

export async function volumeExists(name: string): Promise<boolean> {
  const api = await engineGet<unknown>(`/volumes/${name}`);
  if (settled(api)) return api.status === 200;
  return (await docker(['volume', 'inspect', name], { allowFailure: true })).exitCode === 0;
}

/** `docker container inspect` of each ref that exists (missing ones are left out). */
export async function inspectContainers<T>(refs: string[]): Promise<T[] | undefined> {
  const answers = await Promise.all(refs.map((ref) => engineGet<T>(`/containers/${ref}/json`)));
  if (!answers.every(settled)) return undefined;
  return answers.flatMap((a) => (a?.body ? [a.body] : []));
}

/** Ids of all containers (running or not) carrying the label (`label` or `label=value`). */
export async function containerIdsWithLabel(label: string): Promise<string[] | undefined> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const api = await engineGet<{ Id: string }[]>(`/containers/json?all=1&filters=${filters}`);
  return api?.status === 200 ? api.body?.map((c) => c.Id) : undefined;
}

/** An answer that says what is there: found (200) or not (404). Others go to the CLI for its error. */
function settled<T>(
  answer: { status: number; body: T | undefined } | undefined,
): answer is { status: number; body: T | undefined } {
  return answer !== undefined && (answer.status === 200 || answer.status === 404);
}
