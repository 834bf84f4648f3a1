import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import type { ServeFlags } from '../services/serve.js';
import { examples } from './help.js';

export function registerServe(program: Command, ctx: Context): void {
  program
    .command('serve')
    .description("the team gateway: each signed-in user's own workspaces in the browser, and an API")
    .option(
      '--listen <address:port>',
      'where to listen (loopback unless you say otherwise)',
      '127.0.0.1:8800',
    )
    .option('--public-url <url>', 'the URL browsers reach the gateway at (default: http://LISTEN)')
    .addOption(
      new Option('--backend <kind>', 'where workspaces run')
        .choices(['docker', 'kubernetes'])
        .env('DEVC_BACKEND'),
    )
    .option('--idle-timeout <duration>', 'stop a workspace after this long without use', '30m')
    .option('--max-upload <size>', 'the largest file or folder an upload takes (e.g. 1G, 512M)', '1G')
    .option('--max-upload-files <count>', 'the most files an uploaded folder may hold', '100000')
    .addOption(
      new Option(
        '--auth <mode>',
        "sign-in: an OpenID issuer, a forward-auth proxy's headers, an ID token, or one local user",
      )
        .choices(['oidc', 'headers', 'jwt', 'none'])
        .makeOptionMandatory(),
    )
    .option('--admin-group <name>', 'members may list and stop every workspace')
    .option(
      '--wildcard-domain <domain>',
      "each workspace's editor at NAME.DOMAIN, its own origin (recommended; *.DOMAIN must reach the gateway)",
    )
    .option(
      '--oidc-issuer <url>',
      'the OpenID issuer (--auth oidc and jwt); its client secret comes from DEVC_OIDC_CLIENT_SECRET',
    )
    .option('--oidc-client-id <id>', "the gateway's client id at the issuer (the audience of ID tokens)")
    .option(
      '--jwt-header <name>',
      'where --auth jwt finds the ID token (Authentik: X-authentik-jwt)',
      'Authorization',
    )
    .option(
      '--user-header <name>',
      "the proxy's user header (Authentik: X-authentik-username)",
      'X-Auth-Request-User',
    )
    .option('--email-header <name>', "the proxy's email header", 'X-Auth-Request-Email')
    .option('--groups-header <name>', "the proxy's groups header", 'X-Auth-Request-Groups')
    .option(
      '--trusted-proxy <cidr>',
      'believe identity headers only from this address or CIDR (repeatable)',
      collect,
      [],
    )
    .option(
      '--allow-git-host <host>',
      'clone from this host too (default: those of DEVC_GITHUB_URL and DEVC_GITLAB_URL)',
      collect,
      [],
    )
    .addHelpText(
      'after',
      examples(
        'devc serve --auth headers --trusted-proxy 127.0.0.1 --public-url https://dev.example.com',
        'DEVC_OIDC_CLIENT_SECRET=… devc serve --auth oidc --oidc-issuer https://sso.example.com/application/o/devc/ --oidc-client-id devc --public-url https://dev.example.com --listen 0.0.0.0:8800',
        'devc serve --auth headers --trusted-proxy 10.0.0.5 --public-url https://dev.example.com --wildcard-domain ws.example.com',
        'devc serve --auth none        # yourself only, on 127.0.0.1:8800',
        'curl -H "X-Devc-Request: 1" -H "Content-Type: application/json" -d \'{"repository":"acme/shop"}\' http://127.0.0.1:8800/api/v1/workspaces',
      ),
    )
    .action(async (flags: ServeFlags) => {
      const { serve } = await import('../services/serve.js');
      await serve(ctx, flags);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
