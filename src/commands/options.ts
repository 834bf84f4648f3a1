import { Option } from 'commander';

/** -w/--workspace, the same on every targeted command, with DEVC_WORKSPACE for scripts. */
export function workspaceOption(
  description = "the workspace (default: the only one, or this directory's)",
): Option {
  return new Option('-w, --workspace <name>', description).env('DEVC_WORKSPACE');
}
