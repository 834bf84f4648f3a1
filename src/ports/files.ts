import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Paths } from '../paths.js';
import type { BackendKind } from '../workspace/model.js';
import { emptyRequests, type ForwardSource, type PortRequests, type PortsConfig } from './config.js';

/** Where one workspace's port files live (docs/ports.md describes each). */
export interface PortFiles {
  /** devcontainer.json's forwardPorts/portsAttributes, written by `devc up`. */
  config: string;
  dir: string;
  requests: string;
  state: string;
  pid: string;
  log: string;
  /** How the forwarder service reaches this workspace; present while it is to be forwarded. */
  route: string;
}

/** DEVC_HOME/workspaces/NAME/forwarder/route.json: a workspace handed to the forwarder service. */
export interface RouteRequest {
  backend: BackendKind;
  /** Kubernetes: the call's context, namespace and kubeconfig, so the service never reads its own env for them. */
  context?: string;
  namespace?: string;
  kubeconfig?: string;
}

/** The one forwarder service of a DEVC_HOME: DEVC_HOME/forwarder/{pid,forwarder.log}. */
export interface ServiceFiles {
  dir: string;
  pid: string;
  log: string;
}

export function serviceFiles(paths: Paths): ServiceFiles {
  const dir = path.join(paths.home, 'forwarder');
  return { dir, pid: path.join(dir, 'pid'), log: path.join(dir, 'forwarder.log') };
}

export function portFiles(paths: Paths, workspace: string): PortFiles {
  const base = path.join(paths.workspacesDir, workspace);
  const dir = path.join(base, 'forwarder');
  return {
    config: path.join(base, 'ports.json'),
    dir,
    requests: path.join(dir, 'requests.json'),
    state: path.join(dir, 'state.json'),
    pid: path.join(dir, 'pid'),
    log: path.join(dir, 'forwarder.log'),
    route: path.join(dir, 'route.json'),
  };
}

/** 'forwarded': listening on 127.0.0.1; 'failed': could not bind (see message). */
export type PortState = 'forwarded' | 'failed';

/** One row of state.json, and of `devc ports --json`. */
export interface PortStatus {
  remote: number;
  local: number | null;
  label: string | null;
  source: ForwardSource;
  state: PortState;
  /** Something listens on the remote port inside the workspace (as last seen). */
  listening: boolean;
  url: string | null;
  /** Why it failed, or that it moved to another local port. */
  message: string | null;
}

/** DEVC_HOME/workspaces/NAME/forwarder/state.json, written by the forwarder on every change. */
export interface ForwarderState {
  pid: number;
  workspace: string;
  /** The requests.json generation applied. */
  generation: number;
  /** The workspace as the forwarder last saw it. */
  workspaceState: 'running' | 'stopped' | 'missing' | 'unknown';
  /** The address connections are dialled to (e.g. the container's bridge IP), when known. */
  address: string | null;
  updatedAt: string;
  ports: PortStatus[];
}

export async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes through a temporary file and a rename, so readers never see half a file. */
export async function writeJsonAtomic(file: string, value: unknown, createDir = true): Promise<void> {
  if (createDir) await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** Writes ports.json for a workspace (`devc up` calls this with the merged devcontainer.json's fields). */
export async function writePortsConfig(paths: Paths, workspace: string, config: PortsConfig): Promise<void> {
  const { forwardPorts, portsAttributes, otherPortsAttributes } = config;
  await writeJsonAtomic(portFiles(paths, workspace).config, {
    ...(forwardPorts ? { forwardPorts } : {}),
    ...(portsAttributes ? { portsAttributes } : {}),
    ...(otherPortsAttributes ? { otherPortsAttributes } : {}),
  });
}

export async function readPortsConfig(files: PortFiles): Promise<PortsConfig> {
  const config = await readJson<PortsConfig>(files.config);
  return config && typeof config === 'object' ? config : {};
}

export async function readRequests(files: PortFiles): Promise<PortRequests> {
  const requests = await readJson<Partial<PortRequests>>(files.requests);
  return {
    ...emptyRequests(),
    ...(requests ?? {}),
    forwards: Array.isArray(requests?.forwards) ? requests.forwards : [],
    stopped: Array.isArray(requests?.stopped) ? requests.stopped : [],
  };
}

export const portUrl = (local: number, protocol: 'http' | 'https' = 'http'): string =>
  `${protocol}://127.0.0.1:${local}/`;
