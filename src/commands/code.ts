import type { Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export type Ide = 'code-server' | 'vscode' | 'none';

export function registerCode(program: Command, ctx: Context): void {
  program
    .command('code')
    .description('open the workspace in VS Code (Remote-SSH), or code-server in the browser with --web')
    .addOption(workspaceOption())
    .option('--web', 'code-server in the browser, already logged in')
    .option('--no-open', 'print the link instead of opening it (also: DEVC_NO_BROWSER=1, CI, no display)')
    .addHelpText(
      'after',
      examples('devc code --web', 'devc code --web --no-open   # a one-time login link', 'devc code -w shop'),
    )
    .action(async (opts: { workspace?: string; web?: boolean; open: boolean }) => {
      await openIde(ctx, opts.workspace, opts.web ? 'code-server' : 'vscode', opts.open);
    });
}

/**
 * Opens (or prints the link to) code-server or desktop VS Code for a workspace. Links go to stdout,
 * or to stderr when stdout carries something else (`up --json`).
 */
export async function openIde(
  ctx: Context,
  name: string | undefined,
  ide: Ide,
  open = true,
  linksOnStderr = false,
): Promise<void> {
  if (ide === 'none') return;
  const { canOpen, codeDesktop, codeWeb } = await import('../services/code.js');
  const launch = open && canOpen(ctx.env);
  const link = (text: string): void => (linksOnStderr ? ctx.io.err(text) : ctx.io.out(text));
  if (ide === 'code-server') {
    const web = await codeWeb(ctx, name);
    if (launch) {
      await ctx.browser.open(web.login.url);
      ctx.io.err('Opening code-server in your browser…');
    } else {
      ctx.io.err('Open this link in your browser within 2 minutes (it works once and logs you in):');
      link(web.login.url);
    }
    const used = await web.login.used;
    if (used) ctx.io.success(`Logged in to code-server of ${web.workspace}`);
    else ctx.io.warn('The login link expired unused; run `devc code --web` again for a new one.');
    ctx.io.err(`code-server: ${web.workbenchUrl}`);
    return;
  }
  const desktop = await codeDesktop(ctx, name);
  if (!desktop.sshConfigured)
    ctx.io.warn('VS Code reaches workspaces through ~/.ssh/config: run `devc config-ssh` once first.');
  if (!launch) {
    ctx.io.err('Open this in VS Code (needs the Remote-SSH extension and `devc config-ssh`):');
    link(desktop.uri);
    return;
  }
  const { execa } = await import('execa');
  const viaCli = await execa('code', ['--folder-uri', desktop.uri], { reject: false, stdio: 'ignore' });
  if (viaCli.exitCode !== 0) {
    // No `code` on PATH: the vscode:// handler the OS knows opens the same folder.
    await ctx.browser.open(desktop.uri.replace(/^vscode-remote:\/\//, 'vscode://vscode-remote/'));
  }
  ctx.io.success(`Opened ${desktop.workspace} in VS Code`);
}
