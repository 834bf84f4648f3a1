import { Option, type Command } from 'commander';
import { withBackendOptions, type Context } from '../context.js';
import { parseBackendKind } from '../backends/factory.js';
import { parseIdleTimeout } from '../workspace/duration.js';
import { parseVariant, VARIANTS } from '../workspace/variants.js';
import { IDES, isDesktopEditor } from '../workspace/ides.js';
import type { IdeChoice } from '../config/keys.js';
import type { ForwarderState } from '../ports/files.js';
import type { Workspace } from '../workspace/model.js';
import { renderPortNotes, renderUp, upJson } from './render/up.js';
import { examples } from './help.js';

export function registerUp(program: Command, ctx: Context): void {
  program
    .command('up')
    .description('create a workspace for a repository, or resume the one that exists')
    .argument('[repo]', 'repository reference (see below); default: the current directory', '.')
    .option('--name <name>', 'name of the workspace (default: from the repository)')
    .addOption(
      new Option('--variant <variant>', 'dev8 image variant when the repository has no devcontainer.json')
        .choices(VARIANTS)
        .env('DEVC_VARIANT'),
    )
    .addOption(
      new Option('--backend <backend>', 'where to run it')
        .choices(['docker', 'kubernetes'])
        .env('DEVC_BACKEND'),
    )
    .addOption(
      new Option('--context <name>', 'Kubernetes: the kubeconfig context (default: the current one)').env(
        'DEVC_KUBE_CONTEXT',
      ),
    )
    .addOption(
      new Option('--namespace <name>', "Kubernetes: the namespace (default: the context's, else devc)").env(
        'DEVC_NAMESPACE',
      ),
    )
    .addOption(
      new Option(
        '--idle-timeout <duration>',
        'stop after this long without SSH or editor use (0: never)',
      ).env('DEVC_IDLE_TIMEOUT'),
    )
    .addOption(
      new Option(
        '--devcontainer-path <path>',
        'which devcontainer.json, when the repository has several',
      ).env('DEVC_DEVCONTAINER_PATH'),
    )
    .addOption(
      new Option('--ide <ide>', 'what to open once it is up (none in CI or without a display)')
        .choices(IDES)
        .env('DEVC_IDE'),
    )
    .option(
      '--trust',
      "run what the repository's devcontainer.json asks of this machine (initializeCommand, host mounts, runArgs) without asking; also DEVC_TRUST=1",
    )
    .addOption(
      new Option(
        '--dotfiles <repo>',
        'a dotfiles repository (OWNER/REPO or a git URL) installed into a new workspace',
      ).env('DEVC_DOTFILES'),
    )
    .option(
      '--secrets-file <file>',
      'secrets for the workspace: a JSON object or KEY=value lines (default: DEVC_SECRETS_FILE)',
    )
    .addOption(
      new Option(
        '--builder <where>',
        'Kubernetes: build a Dockerfile or Features image on this machine (local) or with BuildKit in the cluster (cluster); default: local when Docker answers, else cluster',
      ).choices(['local', 'cluster']),
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Repository references:
  github/OWNER/REPO, OWNER/REPO     GitHub (DEVC_GITHUB_URL changes the base URL)
  gitlab/GROUP/PROJECT              GitLab (DEVC_GITLAB_URL)
  https://… or git@host:…           any git URL
  REF@BRANCH                        a branch of any of the above
  ., ./dir, /abs/dir                a local working tree, as it is
${examples('devc up github/acme/shop', 'devc up acme/shop@feature-x --name shop-x', 'devc up . --json', 'GITHUB_TOKEN=… devc up acme/private-repo', 'devc up acme/shop --secrets-file .env.devc', 'devc up acme/shop --dotfiles acme/dotfiles', 'devc up acme/shop --backend kubernetes --builder cluster')}`,
    )
    .action(
      async (
        repo: string,
        opts: {
          name?: string;
          variant?: string;
          backend?: string;
          context?: string;
          namespace?: string;
          idleTimeout?: string;
          devcontainerPath?: string;
          ide?: string;
          trust?: boolean;
          secretsFile?: string;
          dotfiles?: string;
          builder?: string;
          json?: boolean;
        },
      ) => {
        // Every backend this call reaches, and the forwarder it starts, is made with these.
        const call = withBackendOptions(ctx, {
          ...(opts.context !== undefined ? { context: opts.context } : {}),
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        });
        // The editor to open: --ide, else DEVC_IDE, else `devc config set ide`, else none. A desktop
        // editor that is not installed is said before anything is made.
        const { setting } = await import('../config/settings.js');
        const ide = await setting(call, 'ide', opts.ide as IdeChoice | undefined);
        if (isDesktopEditor(ide)) {
          const { canOpen } = await import('../services/code.js');
          const { requireEditor } = await import('../services/editors.js');
          if (canOpen(call.env)) await requireEditor(ide, call.env);
        }
        // --dotfiles, else DEVC_DOTFILES, else `devc config set dotfiles`.
        const dotfiles = await setting(call, 'dotfiles', opts.dotfiles || undefined);
        const { up } = await import('../services/up.js');
        const { trustFromEnv } = await import('../services/trust.js');
        const { createProgress } = await import('../ui/progress.js');
        const { forwarderAfterStart, hasPlannedPorts, spawnForwarder } =
          await import('../services/forwarder.js');
        const warn = (error: unknown): null => {
          call.io.warn(`Ports are not forwarded: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        };
        // The forwarder starts while devc waits for SSH when the workspace has ports to forward, else
        // after it (once: a second spawn could race the first).
        let spawning: Promise<boolean> | undefined;
        const spawn = (w: Workspace): Promise<boolean> =>
          (spawning ??= spawnForwarder(call, w.name, w.backend).catch((error: unknown) =>
            Boolean(warn(error)),
          ));
        const forward = (w: Workspace): Promise<ForwarderState | null> =>
          forwarderAfterStart(call, w.name, w.backend, spawn(w)).catch(warn);
        const result = await up(
          call,
          {
            reference: repo,
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.variant !== undefined ? { variant: parseVariant(opts.variant) } : {}),
            ...(opts.backend !== undefined ? { backend: parseBackendKind(opts.backend) } : {}),
            ...(opts.devcontainerPath !== undefined ? { devcontainerPath: opts.devcontainerPath } : {}),
            ...(opts.idleTimeout !== undefined
              ? { idleTimeoutSeconds: parseIdleTimeout(opts.idleTimeout) }
              : {}),
            trust: Boolean(opts.trust) || trustFromEnv(call.env),
            ...(opts.secretsFile !== undefined ? { secretsFile: opts.secretsFile } : {}),
            ...(dotfiles ? { dotfiles } : {}),
            ...(opts.builder === 'local' || opts.builder === 'cluster' ? { builder: opts.builder } : {}),
            // Early only when it will have ports to show: otherwise its start (a Node process, the
            // engine's client, a first port scan) would compete with the SSH wait for the CPU.
            onRunning: (w) =>
              void hasPlannedPorts(call, w.name).then(
                (ports) => ports && spawn(w),
                () => undefined,
              ),
          },
          createProgress(call.io),
        );
        const backend = await call.backend(result.workspace.backend);
        const forwarder = await forward(result.workspace);
        const json = await upJson(backend, result, forwarder?.ports ?? []);
        if (opts.json) call.io.json(json);
        else renderUp(call.io, json, result.created);
        renderPortNotes(call.io, forwarder?.ports ?? []);
        if (ide !== 'none') {
          const { openIde } = await import('./code.js');
          await openIde(call, result.workspace.name, ide, true, Boolean(opts.json));
        }
      },
    );
}
