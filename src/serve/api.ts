import type { IncomingMessage, ServerResponse } from 'node:http';
import { workspaceJson } from '../workspace/json.js';
import type { Gateway } from './gateway.js';
import { isAdmin, json, refuse, startJob } from './gateway.js';
import type { Identity } from './identity.js';
import type { Job } from './jobs.js';
import { gatewayReference } from './route.js';
import { workspaceNameFor, workspaceOf, workspacesOf } from './workspaces.js';

/** The header a browser's state-changing API call must carry: a page on another site can't set it. */
export const CSRF_HEADER = 'x-devc-request';
const MAX_JSON_BYTES = 64 * 1024;

/**
 * `/api/v1/workspaces…`: the same objects as the CLI's `--json`. Another user's workspace is a 404,
 * exactly like one that does not exist.
 */
export async function handleApi(
  gateway: Gateway,
  identity: Identity,
  rest: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const changes = method !== 'GET' && method !== 'HEAD';
  if (changes && gateway.config.auth.ambient(req) && req.headers[CSRF_HEADER] !== '1')
    return refuse(
      res,
      true,
      403,
      `A change through the API needs the header ${CSRF_HEADER}: 1.`,
      'Browsers on other sites cannot send it; scripts can.',
    );
  const admin = isAdmin(gateway, identity);
  const match = /^\/v1\/workspaces(?:\/([a-z0-9][a-z0-9-]*)(?:\/(start|stop|logs|files))?)?\/?$/.exec(rest);
  if (!match) return refuse(res, true, 404, 'No such API route.');
  const [, name, action] = match;
  const ctx = gateway.ctx;
  if (!name) {
    if (method === 'GET') {
      const all = admin && new URL(req.url ?? '/', 'http://x').searchParams.get('all') === '1';
      const list = await workspacesOf(ctx, identity, all);
      return json(
        res,
        200,
        list.map((w) => workspaceJson(w, true)),
      );
    }
    if (method === 'POST') return create(gateway, identity, req, res);
    return refuse(res, true, 405, `${method} is not allowed here.`);
  }
  const workspace =
    (await workspaceOf(ctx, identity, name)) ??
    (admin && (action === 'stop' || (!action && method === 'GET'))
      ? ((await workspacesOf(ctx, identity, true)).find((w) => w.name === name) ?? null)
      : null);
  if (action === 'logs' && method === 'GET') {
    const job = gateway.jobs.get(name);
    const visible = workspace !== null || job?.owner === identity.user;
    if (!visible) return refuse(res, true, 404, `No workspace ${name}.`);
    return logs(job, name, req, res);
  }
  if (!workspace) return refuse(res, true, 404, `No workspace ${name}.`);
  const backend = await ctx.backend(workspace.backend);
  if (!action && method === 'GET') return json(res, 200, workspaceJson(workspace, true));
  if (action === 'files' && workspace.owner === identity.user) {
    const { handleFiles } = await import('./files.js');
    return handleFiles(ctx, workspace, gateway.config.maxUploadBytes, req, res);
  }
  if (!action && method === 'DELETE') {
    const force = new URL(req.url ?? '/', 'http://x').searchParams.get('force') === '1';
    const { deleteWorkspace, UnsavedWorkError } = await import('../services/delete.js');
    try {
      await deleteWorkspace(ctx, { workspace, backend }, force);
    } catch (error) {
      // Work that is pushed nowhere: the caller's to decide (the page offers "delete anyway").
      if (!(error instanceof UnsavedWorkError)) throw error;
      return refuse(res, true, 409, error.message, 'Delete anyway with ?force=1, losing that work.');
    }
    gateway.sessions.delete(name);
    return json(res, 200, { outcome: 'success', name });
  }
  if (action === 'stop' && method === 'POST') {
    const { stopWorkspace } = await import('../services/lifecycle.js');
    await stopWorkspace(ctx, { workspace, backend });
    gateway.sessions.delete(name);
    return json(res, 200, { outcome: 'success', name, state: 'stopped' });
  }
  if (action === 'start' && method === 'POST') {
    startJob(gateway, identity, name, workspace.repository.url);
    return json(res, 202, { outcome: 'accepted', name, logs: `/api/v1/workspaces/${name}/logs` });
  }
  return refuse(res, true, 405, `${method} is not allowed here.`);
}

/** POST /api/v1/workspaces {"repository": REF}: the user's workspace of it, made in the background. */
async function create(
  gateway: Gateway,
  identity: Identity,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') {
    const { createFromUpload } = await import('./upload.js');
    return createFromUpload(gateway, identity, req, res);
  }
  if (type !== 'application/json')
    return refuse(
      res,
      true,
      415,
      'Send a JSON body {"repository": "github/OWNER/REPO"}, or multipart/form-data with an upload.',
    );
  const body = await readBody(req, MAX_JSON_BYTES);
  if (body === undefined) return refuse(res, true, 413, `The body is over ${MAX_JSON_BYTES} bytes.`);
  let reference: unknown;
  try {
    reference = (JSON.parse(body) as { repository?: unknown }).repository;
  } catch {
    return refuse(res, true, 400, 'The body is not JSON.');
  }
  if (typeof reference !== 'string' || reference === '')
    return refuse(res, true, 400, 'Say which repository: {"repository": "github/OWNER/REPO"}.');
  const ref = gatewayReference(reference, gateway.ctx.env, gateway.config.gitHosts);
  const { name, existing } = await workspaceNameFor(gateway.ctx, identity, ref);
  startJob(gateway, identity, name, reference);
  return json(res, existing ? 200 : 202, {
    outcome: 'accepted',
    name,
    created: !existing,
    logs: `/api/v1/workspaces/${name}/logs`,
    url: `/w/${name}/`,
  });
}

/**
 * GET …/logs: the gateway's work on the workspace as server-sent events: each line as a message, then
 * `ready` (the editor answers) or `failed` with the message.
 */
function logs(job: Job | undefined, name: string, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  const send = (event: string | undefined, data: unknown): void => {
    res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  };
  if (!job) {
    send('ready', { name });
    res.end();
    return;
  }
  for (const line of job.lines) send(undefined, line);
  const stop = job.follow((line) => {
    if (line) return send(undefined, line);
    if (job.error) send('failed', { message: job.error });
    else send('ready', { name });
    res.end();
  });
  req.on('close', stop);
}

/** The request's body as text, or undefined past `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
