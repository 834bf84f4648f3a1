import { Option } from 'commander';
import { checkWorkspaceName } from '../workspace/name.js';

/**
 * -w/--workspace, the same on every targeted command, with DEVC_WORKSPACE for scripts. The name is
 * checked as it is parsed: it ends up in paths and engine filters, so `..` or '' never get that far.
 */
export function workspaceOption(
  description = "the workspace (default: the only one, or this directory's)",
): Option {
  return new Option('-w, --workspace <name>', description)
    .env('DEVC_WORKSPACE')
    .argParser((value: string) => checkWorkspaceName(value));
}
