import type { Command } from 'commander';
import type { Context } from '../context.js';
import { registerDelete } from './delete.js';
import { registerDoctor } from './doctor.js';
import { registerExec } from './exec.js';
import { registerImages } from './images.js';
import { registerList } from './list.js';
import { registerSsh } from './ssh.js';
import { registerUp } from './up.js';

/** Every command of devc, in the order `devc --help` lists them. */
export function registerCommands(program: Command, ctx: Context): void {
  registerUp(program, ctx);
  registerList(program, ctx);
  registerSsh(program, ctx);
  registerExec(program, ctx);
  registerDelete(program, ctx);
  registerImages(program, ctx);
  registerDoctor(program, ctx);
}

/** Examples block for a command's help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
