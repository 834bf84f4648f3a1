import { execa } from 'execa';

export async function dockerOut(args: string[]): Promise<string> {
  const result = await execa('docker', args, { reject: false });
  return String(result.stdout).trim();
}

/** Containers of workspaces whose name starts with `prefix`. */
export async function workspaceContainers(prefix: string): Promise<string[]> {
  const out = await dockerOut([
    'ps',
    '-a',
    '--filter',
    'label=dev.devc.workspace',
    '--format',
    '{{.Label "dev.devc.workspace"}}',
  ]);
  return out.split('\n').filter((n) => n.startsWith(prefix));
}

/** Removes every engine object of workspaces whose name starts with `prefix` (cleanup by label). */
export async function removeWorkspaces(prefix: string): Promise<void> {
  for (const name of await workspaceContainers(prefix)) {
    await execa('docker', ['rm', '-f', '-v', `devc-${name}`], { reject: false });
  }
  const volumes = (await dockerOut(['volume', 'ls', '-q', '--filter', 'label=dev.devc.workspace'])).split(
    '\n',
  );
  const ours = volumes.filter((v) => v.startsWith(`devc-${prefix}`));
  if (ours.length) await execa('docker', ['volume', 'rm', '-f', ...ours], { reject: false });
}
