import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseVariant, VARIANTS, type Variant } from '../workspace/variants.js';
import { formatAge, formatBytes } from '../ui/format.js';
import { table } from '../ui/table.js';
import { createProgress } from '../ui/progress.js';
import { examples } from './help.js';

export function registerImages(program: Command, ctx: Context): void {
  const images = program.command('images').description('build and list the dev8 images');
  images
    .command('build')
    .description('build dev8 images (and the images they build on) from the Dockerfiles that ship with devc')
    .argument('[variant]', `${VARIANTS.join(', ')} or all`, 'base')
    .option('--no-cache', 'build from scratch')
    .option('--push', 'push the images to DEVC_REGISTRY after building them')
    .addHelpText(
      'after',
      examples(
        'devc images build',
        'devc images build all',
        'DEVC_REGISTRY=localhost:5000 devc images build node --push',
      ),
    )
    .action(async (which: string, opts: { cache: boolean; push?: boolean }) => {
      const variants: Variant[] = which === 'all' ? [...VARIANTS] : [parseVariant(which)];
      const push = opts.push ?? ctx.env.DEVC_PUSH === '1';
      const { buildWithParents, pushImage, checkPushRegistry } = await import('../services/images.js');
      if (push) await checkPushRegistry(ctx);
      const progress = createProgress(ctx.io);
      const backend = await ctx.backend('docker');
      await backend.check();
      const built = new Set<Variant>();
      const refs: string[] = [];
      for (const variant of variants) {
        for (const ref of await buildWithParents(ctx, variant, progress, { noCache: !opts.cache, built })) {
          if (!refs.includes(ref)) refs.push(ref);
        }
      }
      if (push) for (const ref of refs) await pushImage(ctx, ref, progress);
      for (const ref of refs) ctx.io.out(ref);
    });
  images
    .command('list')
    .alias('ls')
    .description('list the dev8 images in the engine')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', examples('devc images list', 'devc images list --json'))
    .action(async (opts: { json?: boolean }) => {
      const backend = await ctx.backend('docker');
      await backend.check();
      const { listImages } = await import('../services/images.js');
      const list = await listImages(ctx);
      if (opts.json) {
        ctx.io.json(list);
        return;
      }
      if (list.length === 0) {
        ctx.io.err('No dev8 images yet. Build one with `devc images build`.');
        return;
      }
      const rows = list.map((i) => [i.variant, i.tag, formatBytes(i.size), formatAge(i.createdAt), i.image]);
      ctx.io.out(table([['VARIANT', 'TAG', 'SIZE', 'CREATED', 'IMAGE'], ...rows]));
    });
}
