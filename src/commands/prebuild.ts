import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { examples } from './help.js';

export function registerPrebuild(program: Command, ctx: Context): void {
  program
    .command('prebuild')
    .description("build a repository's devcontainer image ahead of `up`, tagged by its content hash")
    .argument('[repo]', 'repository reference, as for `up`; default: the current directory', '.')
    .addOption(
      new Option(
        '--registry <registry>',
        "where the prebuild goes (default: DEVC_REGISTRY, else the config's customizations.devc.prebuildRegistry)",
      ),
    )
    .option(
      '--push',
      'push the image to the registry (CI does this; `up` then pulls it instead of building); also DEVC_PUSH=1',
    )
    .addOption(
      new Option(
        '--devcontainer-path <path>',
        'which devcontainer.json, when the repository has several',
      ).env('DEVC_DEVCONTAINER_PATH'),
    )
    .option('--platform <platform>', "the image's platform, e.g. linux/arm64 (default: this machine's)")
    .option(
      '--trust',
      "build what the repository's devcontainer.json asks of this machine (a build context outside it) without asking; also DEVC_TRUST=1",
    )
    .option('--json', 'print {"outcome","image","digest","hash","pushed","cached"}')
    .addHelpText(
      'after',
      `
An unchanged config is not built again: when the registry (or this engine) has its tag, prebuild
says so and does nothing. A repository without a devcontainer.json build (no Dockerfile, no
Features) has nothing to prebuild: it runs the image it names, or a dev8 image.
${examples(
  'devc prebuild',
  'devc prebuild . --registry ghcr.io/acme --push',
  'DEVC_REGISTRY=registry.example.com/team devc prebuild acme/shop --push --json',
  'devc prebuild --devcontainer-path .devcontainer/gpu --platform linux/arm64',
)}`,
    )
    .action(
      async (
        repo: string,
        opts: {
          registry?: string;
          push?: boolean;
          devcontainerPath?: string;
          platform?: string;
          trust?: boolean;
          json?: boolean;
        },
      ) => {
        const { prebuild } = await import('../services/prebuild.js');
        const { createProgress } = await import('../ui/progress.js');
        const { trustFromEnv } = await import('../services/trust.js');
        const result = await prebuild(
          ctx,
          {
            reference: repo,
            registry: opts.registry,
            // As for `images build --push`: DEVC_PUSH=1 in CI.
            push: opts.push ?? ctx.env.DEVC_PUSH === '1',
            devcontainerPath: opts.devcontainerPath,
            platform: opts.platform,
            trust: Boolean(opts.trust) || trustFromEnv(ctx.env),
          },
          createProgress(ctx.io),
        );
        if (opts.json) ctx.io.json(result);
        else {
          if (result.outcome === 'nothing-to-build')
            ctx.io.err(
              `Nothing to prebuild: this repository runs ${result.image || 'the image its config names'} as it is (no Dockerfile or Features).`,
            );
          ctx.io.out(result.image);
        }
      },
    );
}
