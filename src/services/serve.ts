import { isIP } from 'node:net';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseIdleTimeout } from '../workspace/duration.js';
import type { BackendKind } from '../workspace/model.js';
import { headerAuth, noAuth, type Authenticator } from '../serve/auth.js';
import { createGatewayServer } from '../serve/gateway.js';
import { isLoopback } from '../serve/identity.js';
import { defaultGitHosts } from '../serve/route.js';
import { parseWildcardDomain } from '../serve/subdomain.js';

/** `devc serve`'s flags, as commander parses them. */
export interface ServeFlags {
  listen: string;
  publicUrl?: string;
  backend?: string;
  idleTimeout: string;
  maxUpload: string;
  maxUploadFiles: string;
  wildcardDomain?: string;
  auth: string;
  adminGroup?: string;
  userHeader: string;
  emailHeader?: string;
  groupsHeader?: string;
  trustedProxy: string[];
  allowGitHost: string[];
  oidcIssuer?: string;
  oidcClientId?: string;
  jwtHeader: string;
}

/** Where to listen, from `--listen HOST:PORT` (IPv6 in brackets). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || isIP(host) === 0 || !(port >= 0 && port <= 65535))
    throw new UsageError(`--listen ${value} is not ADDRESS:PORT.`, {
      hint: 'For example --listen 127.0.0.1:8800.',
    });
  return { host, port };
}

/** The gateway's authenticator from the flags; a mode's missing or unsafe settings are usage errors. */
export async function authenticatorOf(
  flags: ServeFlags,
  host: string,
  env: NodeJS.ProcessEnv,
  publicOrigin: () => string,
): Promise<Authenticator> {
  if (flags.auth === 'oidc' || flags.auth === 'jwt') {
    if (!flags.oidcIssuer || !flags.oidcClientId)
      throw new UsageError(`--auth ${flags.auth} needs --oidc-issuer and --oidc-client-id.`);
    if (!/^https?:\/\/./.test(flags.oidcIssuer))
      throw new UsageError(`--oidc-issuer ${flags.oidcIssuer} is not a URL.`);
    const { jwtAuth, oidcAuth } = await import('../serve/oidc.js');
    if (flags.auth === 'jwt') return jwtAuth(flags.oidcIssuer, flags.oidcClientId, flags.jwtHeader);
    const clientSecret = env.DEVC_OIDC_CLIENT_SECRET;
    if (!clientSecret)
      throw new UsageError('--auth oidc needs the client secret in DEVC_OIDC_CLIENT_SECRET.', {
        hint: 'It is never a flag: flags show in process lists.',
      });
    return oidcAuth({ issuer: flags.oidcIssuer, clientId: flags.oidcClientId, clientSecret, publicOrigin });
  }
  if (flags.auth === 'none') {
    if (!isLoopback(host))
      throw new UsageError('--auth none serves one user with no sign-in: it listens on loopback only.', {
        hint: 'Use --listen 127.0.0.1:PORT, or --auth headers behind a forward-auth proxy.',
      });
    return noAuth();
  }
  if (flags.trustedProxy.length === 0)
    throw new UsageError(
      '--auth headers needs --trusted-proxy: the address of the proxy that signs users in.',
      {
        hint: 'For example --trusted-proxy 127.0.0.1 when oauth2-proxy runs on this host.',
      },
    );
  try {
    return headerAuth({
      userHeader: flags.userHeader,
      emailHeader: flags.emailHeader,
      groupsHeader: flags.groupsHeader,
      trustedProxies: flags.trustedProxy,
    });
  } catch (error) {
    throw new UsageError(`--trusted-proxy: ${(error as Error).message}.`);
  }
}

/** A whole number of at least 1 from a flag; a usage error otherwise. */
function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} ${value} is not a whole number above 0.`);
  return n;
}

/** `devc serve`: runs the gateway until Ctrl-C or SIGTERM. */
export async function serve(ctx: Context, flags: ServeFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  let origin = '';
  const auth = await authenticatorOf(flags, host, ctx.env, () => origin);
  const idleTimeoutSeconds = parseIdleTimeout(flags.idleTimeout);
  const gitHosts = defaultGitHosts(ctx.env);
  for (const h of flags.allowGitHost) gitHosts.add(h.toLowerCase());
  const kind = flags.backend as BackendKind | undefined;
  // The gateway's workspaces are other people's: none of this machine's token or stored secrets.
  const serverCtx: Context = {
    ...ctx,
    hostCredentials: false,
    ...(kind ? { backend: (k, o) => ctx.backend(k ?? kind, o) } : {}),
  };
  const shown = host.includes(':') ? `[${host}]` : host;
  if (flags.publicUrl !== undefined && !/^https?:\/\/./.test(flags.publicUrl))
    throw new UsageError(`--public-url ${flags.publicUrl} is not an http(s) URL.`);
  const { parseSize } = await import('../serve/files.js');
  const maxUploadBytes = parseSize(flags.maxUpload);
  const config = {
    auth,
    publicOrigin: '',
    adminGroup: flags.adminGroup,
    gitHosts,
    idleTimeoutSeconds,
    maxUploadBytes,
    maxUploadFiles: parseCount(flags.maxUploadFiles, '--max-upload-files'),
    wildcardDomain:
      flags.wildcardDomain === undefined ? undefined : parseWildcardDomain(flags.wildcardDomain),
  };
  const server = createGatewayServer(serverCtx, config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`${flags.listen} is in use.`, { hint: 'Pick another --listen port.' })
          : error,
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  // With port 0 the port is known only now; browsers' Origin names it.
  config.publicOrigin = new URL(flags.publicUrl ?? `http://${shown}:${bound}`).origin;
  origin = config.publicOrigin;
  const publicOrigin = config.publicOrigin;
  if (auth.mode === 'none')
    ctx.io.warn('--auth none: anyone who reaches this port acts as you. Loopback only.');
  const editors = config.wildcardDomain ? `, editors at NAME.${config.wildcardDomain}` : '';
  ctx.io.err(
    `devc serve: listening on http://${shown}:${bound} (auth: ${auth.mode}, public URL ${publicOrigin}${editors})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    ctx.signal.addEventListener('abort', stop, { once: true });
    process.once('SIGTERM', stop);
  });
}
