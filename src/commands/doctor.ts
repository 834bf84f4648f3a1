import type { Command } from 'commander';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { examples } from './help.js';

export function registerDoctor(program: Command, ctx: Context): void {
  program
    .command('doctor')
    .description('check what devc needs (engine, ssh client, git) and say what to fix')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', examples('devc doctor'))
    .action(async (opts: { json?: boolean }) => {
      const { runChecks } = await import('../services/doctor.js');
      const checks = await runChecks(ctx);
      if (opts.json) ctx.io.json(checks);
      else
        for (const check of checks) {
          const mark = check.ok ? ctx.io.paint('green', '✓') : ctx.io.paint('red', '✗');
          ctx.io.out(`${mark} ${check.name}: ${check.detail}`);
          if (!check.ok && check.fix) ctx.io.out(`    ${check.fix}`);
        }
      const failed = checks.filter((c) => !c.ok && c.required);
      if (failed.length > 0)
        throw new DevcError(`${failed.length} check${failed.length > 1 ? 's' : ''} failed.`, {
          hint: 'Fix the items marked ✗ above.',
        });
    });
}
