import { access, constants, mkdir } from 'node:fs/promises';
import { execa } from 'execa';
import type { Context } from '../context.js';
import { engineCheck } from './doctor-engine.js';

export interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

/** Everything devc relies on, checked in parallel. */
export async function runChecks(ctx: Context): Promise<Check[]> {
  return [
    node(),
    ...(await Promise.all([
      tool('git', ['--version'], 'Install git (e.g. `apt-get install git`).'),
      tool('ssh', ['-V'], 'Install the OpenSSH client (e.g. `apt-get install openssh-client`).'),
      tool('ssh-keygen', ['-?'], 'Install the OpenSSH client (e.g. `apt-get install openssh-client`).', true),
      dockerEngine(),
      engineCheck(ctx.env),
      home(ctx),
      keychain(ctx),
    ])),
  ];
}

function node(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    name: 'node',
    ok: major >= 20,
    required: true,
    detail: `v${process.versions.node}`,
    fix: 'Install Node.js 20 or newer.',
  };
}

async function tool(name: string, args: string[], fix: string, anyExit = false): Promise<Check> {
  const result = await execa(name, args, { reject: false, all: true });
  const found = result.exitCode !== undefined && (anyExit || result.exitCode === 0);
  const detail = found ? (String(result.all).split('\n')[0] ?? '').trim() || 'found' : 'not found';
  return { name, ok: found, required: true, detail: anyExit && found ? 'found' : detail, fix };
}

async function dockerEngine(): Promise<Check> {
  const result = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
    reject: false,
    all: true,
  });
  if (result.exitCode === undefined) {
    return {
      name: 'docker',
      ok: false,
      required: true,
      detail: 'the docker CLI is not installed',
      fix: 'Install Docker: https://docs.docker.com/engine/install/',
    };
  }
  if (result.exitCode !== 0) {
    return {
      name: 'docker',
      ok: false,
      required: true,
      detail: "the Docker engine doesn't answer",
      fix: 'Start Docker (e.g. `sudo systemctl start docker`), or check DOCKER_HOST.',
    };
  }
  return { name: 'docker', ok: true, required: true, detail: `engine ${String(result.stdout).trim()}` };
}

async function home(ctx: Context): Promise<Check> {
  try {
    await mkdir(ctx.paths.home, { recursive: true, mode: 0o700 });
    await access(ctx.paths.home, constants.W_OK);
    return { name: 'devc home', ok: true, required: true, detail: ctx.paths.home };
  } catch {
    return {
      name: 'devc home',
      ok: false,
      required: true,
      detail: `${ctx.paths.home} is not writable`,
      fix: 'Fix its permissions, or point DEVC_HOME elsewhere.',
    };
  }
}

/** Whether the OS keychain takes a value (a real write and delete); else where credentials go instead. */
async function keychain(ctx: Context): Promise<Check> {
  const store = await ctx.keychain();
  const probe = await store.probe();
  const name = process.platform === 'linux' ? 'the Secret Service' : 'the OS keychain';
  if (probe.reachable) return { name: 'keychain', ok: true, required: false, detail: `${name} answers` };
  return {
    name: 'keychain',
    ok: false,
    required: false,
    detail: `${name} does not answer (${probe.reason ?? 'unknown'}): the token and secrets go to ${store.fallbackFile} (mode 0600)`,
    fix:
      process.platform === 'linux'
        ? 'Run a Secret Service in your session (e.g. gnome-keyring, unlocked), or keep the fallback file.'
        : 'Unlock the keychain, or keep the fallback file.',
  };
}
