import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseVariant, VARIANTS, type Variant } from '../workspace/variants.js';
import { examples } from './index.js';

export function registerImages(program: Command, ctx: Context): void {
  const images = program.command('images').description('build and list the dev8 images');
  images
    .command('build')
    .description('build dev8 images from the Dockerfiles that ship with devc')
    .argument('[variant]', `${VARIANTS.join(', ')} or all`, 'base')
    .option('--no-cache', 'build from scratch')
    .addHelpText('after', examples('devc images build', 'devc images build all'))
    .action(async (which: string, opts: { cache: boolean }) => {
      const variants: Variant[] = which === 'all' ? [...VARIANTS] : [parseVariant(which)];
      if (variants.length === 0) throw new UsageError('Nothing to build.');
      const { buildImage, imageRef } = await import('../services/images.js');
      const { createProgress } = await import('../ui/progress.js');
      const progress = createProgress(ctx.io);
      const backend = await ctx.backend('docker');
      await backend.check();
      for (const variant of variants) {
        const ref = imageRef(variant, ctx.version, ctx.env.DEVC_REGISTRY);
        await buildImage(ctx, variant, ref, progress, !opts.cache);
        ctx.io.out(ref);
      }
    });
}
