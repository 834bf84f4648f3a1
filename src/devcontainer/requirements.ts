/** hostRequirements of devcontainer.json, in numbers. */
export interface HostRequirements {
  cpus?: number;
  memoryBytes?: number;
  storageBytes?: number;
}

const UNITS: Record<string, number> = { '': 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** Parses "8gb", "512mb" into bytes (the spec's units are powers of 1000). */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(kb|mb|gb|tb)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
}

export function hostRequirements(configuration: Record<string, unknown>): HostRequirements {
  const raw = (configuration.hostRequirements ?? {}) as Record<string, unknown>;
  const cpus = typeof raw.cpus === 'number' ? raw.cpus : undefined;
  const memoryBytes = parseSize(raw.memory);
  const storageBytes = parseSize(raw.storage);
  return {
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    ...(storageBytes !== undefined ? { storageBytes } : {}),
  };
}

/** What the host lacks, as warnings (Docker can't reserve resources, so devc only says so). */
export function unmetRequirements(
  wanted: HostRequirements,
  host: { cpus: number; memoryBytes: number },
): string[] {
  const warnings: string[] = [];
  if (wanted.cpus !== undefined && wanted.cpus > host.cpus) {
    warnings.push(`This workspace asks for ${wanted.cpus} CPUs; the Docker engine has ${host.cpus}.`);
  }
  if (wanted.memoryBytes !== undefined && wanted.memoryBytes > host.memoryBytes) {
    warnings.push(
      `This workspace asks for ${gb(wanted.memoryBytes)} of memory; the Docker engine has ${gb(host.memoryBytes)}.`,
    );
  }
  return warnings;
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
