import type { Command } from 'commander';
import type { Context } from '../context.js';
import { registerCode } from './code.js';
import { registerConfigSsh } from './config-ssh.js';
import { registerCp } from './cp.js';
import { registerDashboard } from './dashboard.js';
import { registerDelete } from './delete.js';
import { registerDoctor } from './doctor.js';
import { registerExec } from './exec.js';
import { registerImages } from './images.js';
import { registerList } from './list.js';
import { registerLogs } from './logs.js';
import { registerPorts } from './ports.js';
import { registerRebuild } from './rebuild.js';
import { registerSsh } from './ssh.js';
import { registerStart } from './start.js';
import { registerStop } from './stop.js';
import { registerUp } from './up.js';
import { registerView } from './view.js';

/** Every command of devc, in the order `devc --help` lists them. */
export function registerCommands(program: Command, ctx: Context): void {
  registerUp(program, ctx);
  registerList(program, ctx);
  registerView(program, ctx);
  registerSsh(program, ctx);
  registerExec(program, ctx);
  registerCode(program, ctx);
  registerPorts(program, ctx);
  registerCp(program, ctx);
  registerLogs(program, ctx);
  registerStop(program, ctx);
  registerStart(program, ctx);
  registerRebuild(program, ctx);
  registerDelete(program, ctx);
  registerConfigSsh(program, ctx);
  registerDashboard(program, ctx);
  registerImages(program, ctx);
  registerDoctor(program, ctx);
}
