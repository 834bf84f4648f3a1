import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { DESKTOP_EDITORS, type DesktopEditor, type Ide } from '../workspace/ides.js';
import { examples } from './help.js';
import { workspaceOption } from './options.js';

export type { Ide } from '../workspace/ides.js';

export function registerCode(program: Command, ctx: Context): void {
  program
    .command('code')
    .description(
      'open the workspace in a desktop editor over Remote-SSH, or code-server in the browser with --web',
    )
    .addOption(workspaceOption())
    .addOption(
      new Option('--ide <editor>', 'which editor (default: vscode); code-server is --web').choices([
        ...DESKTOP_EDITORS,
        'code-server',
      ]),
    )
    .option('--web', 'code-server in the browser, already logged in')
    .option('--no-open', 'print the link instead of opening it (also: DEVC_NO_BROWSER=1, CI, no display)')
    .addHelpText(
      'after',
      `
Desktop editors reach the workspace as NAME.devc through ~/.ssh/config: run \`devc config-ssh\` once.
Each opens through its launcher when it is on PATH (code, cursor, windsurf, antigravity), else its
own link (vscode://, cursor://, windsurf://, antigravity://); devc says so when neither is there.
${examples(
  'devc code --web',
  'devc code --web --no-open   # a one-time login link',
  'devc code -w shop',
  'devc code --ide cursor',
  'devc code --ide windsurf --no-open   # print windsurf://vscode-remote/ssh-remote+shop.devc/…',
)}`,
    )
    .action(async (opts: { workspace?: string; web?: boolean; ide?: string; open: boolean }) => {
      if (opts.web && opts.ide && opts.ide !== 'code-server')
        throw new UsageError(`--web opens code-server; it can't go with --ide ${opts.ide}.`);
      const ide = opts.web ? 'code-server' : ((opts.ide ?? 'vscode') as Ide);
      await openIde(ctx, opts.workspace, ide, opts.open);
    });
}

/**
 * Opens (or prints the link to) code-server or a desktop editor for a workspace. Links go to stdout,
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
  const { canOpen, codeWeb } = await import('../services/code.js');
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
  await openDesktop(ctx, name, ide, launch, link);
}

async function openDesktop(
  ctx: Context,
  name: string | undefined,
  editor: DesktopEditor,
  launch: boolean,
  link: (text: string) => void,
): Promise<void> {
  const { codeDesktop } = await import('../services/code.js');
  const { editorName, editorUrl, openInEditor, requireEditor } = await import('../services/editors.js');
  const title = editorName(editor);
  // Before the workspace is started: an editor that is missing is the first thing to say.
  const route = launch ? await requireEditor(editor, ctx.env) : null;
  const desktop = await codeDesktop(ctx, name);
  if (!desktop.sshConfigured)
    ctx.io.warn(`${title} reaches workspaces through ~/.ssh/config: run \`devc config-ssh\` once first.`);
  if (!route) {
    ctx.io.err(`Open this in ${title} (needs its Remote-SSH extension and \`devc config-ssh\`):`);
    link(editorUrl(editor, desktop.host, desktop.folder));
    return;
  }
  await openInEditor(ctx, editor, route, desktop.host, desktop.folder);
  ctx.io.success(`Opened ${desktop.workspace} in ${title}`);
}
