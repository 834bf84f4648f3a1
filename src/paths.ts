import os from 'node:os';
import path from 'node:path';

/** Where devc keeps its files. Only preferences, keys and clones live here: the engine holds the rest. */
export interface Paths {
  home: string;
  sshDir: string;
  privateKey: string;
  knownHosts: string;
  sshConfig: string;
  workspacesDir: string;
  locksDir: string;
  logsDir: string;
  /** This DEVC_HOME's random id (0600), labelled on its workspaces: see workspace/home-id.ts. */
  homeIdFile: string;
}

/** DEVC_HOME, else the platform's data directory. */
export function resolvePaths(env: NodeJS.ProcessEnv): Paths {
  const home = env.DEVC_HOME ? path.resolve(env.DEVC_HOME) : defaultHome(env);
  const sshDir = path.join(home, 'ssh');
  return {
    home,
    sshDir,
    privateKey: path.join(sshDir, 'id_ed25519'),
    knownHosts: path.join(sshDir, 'known_hosts'),
    sshConfig: path.join(sshDir, 'config'),
    workspacesDir: path.join(home, 'workspaces'),
    locksDir: path.join(home, 'locks'),
    logsDir: path.join(home, 'logs'),
    homeIdFile: path.join(home, 'home-id'),
  };
}

function defaultHome(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'devc');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? os.homedir(), 'devc');
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'devc');
}
