// The open flow as the tests follow it: a workspace's log until it is ready, then its editor through
// the gateway. Shared by the Docker (test/e2e/serve.test.ts) and Kubernetes (test/k8s/serve*.test.ts) tests.
import { gatewayRequest, type Answer } from './gateway.js';

/** code-server's workbench page, as opposed to its login page. */
export const isWorkbench = (html: string): boolean =>
  html.includes('vscode-workbench-web-configuration') && !html.includes('code-server login');

/** Follows a workspace's log (server-sent events) until `ready` or `failed`; the lines and how it ended. */
export async function followLog(
  base: string,
  name: string,
  user: string,
): Promise<{ end: string; text: string }> {
  const text = (await gatewayRequest(base, `/api/v1/workspaces/${name}/logs`, { user, timeoutMs: 900_000 }))
    .body;
  return { end: /event: (ready|failed)/.exec(text)?.[1] ?? 'none', text };
}

/** The editor page as a browser gets it: code-server first sends `/` on to `./?folder=…`. */
export async function editor(base: string, workspace: string, user: string): Promise<Answer> {
  const first = await gatewayRequest(base, `/w/${workspace}/`, { user, timeoutMs: 20_000 });
  if (first.status !== 302) return first;
  const next = new URL(first.headers.location!, `${base}/w/${workspace}/`);
  if (next.pathname !== `/w/${workspace}/`) throw new Error(`the editor sent the browser to ${next.href}`);
  return gatewayRequest(base, next.pathname + next.search, { user, timeoutMs: 20_000 });
}
