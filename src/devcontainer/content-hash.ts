import { createHash } from 'node:crypto';

/**
 * Keys of a devcontainer.json that never reach the image: neither the build nor the
 * `devcontainer.metadata` label the Dev Containers CLI writes into it (its list: hooks, users, env,
 * mounts, capabilities, ports, customizations, hostRequirements…). Every other key is hashed, unknown
 * ones included: a needless rebuild is cheaper than a stale image.
 */
export const NOT_IN_IMAGE = [
  '$schema',
  'name',
  'workspaceFolder',
  'workspaceMount',
  'runArgs',
  'appPort',
  'initializeCommand',
] as const;

/** What goes into a Dockerfile or Features image, as the hash sees it. */
export interface BuildInputs {
  /** The devcontainer.json as parsed (comments and formatting are already gone). */
  configuration: Record<string, unknown>;
  /** Every file the build reads (Dockerfile, context, local Features): path relative to the source → sha256. */
  files: Record<string, string>;
  /** The target platform, e.g. linux/amd64. */
  platform: string;
}

/** The image's tag: the same inputs give the same tag on any machine; any change gives another. */
export function contentHash(inputs: BuildInputs): string {
  const hash = createHash('sha256');
  hash.update('devc-image v1\n');
  hash.update(`${canonical(imageKeys(inputs.configuration))}\n`);
  for (const file of Object.keys(inputs.files).sort()) hash.update(`${file}\0${inputs.files[file]}\n`);
  hash.update(`platform ${inputs.platform}\n`);
  return hash.digest('hex').slice(0, 32);
}

/** The configuration without the keys that don't reach the image (nor build.cacheFrom, a cache hint). */
export function imageKeys(configuration: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.fromEntries(
    Object.entries(configuration).filter(([key]) => !(NOT_IN_IMAGE as readonly string[]).includes(key)),
  );
  const build = kept.build;
  if (build && typeof build === 'object' && !Array.isArray(build)) {
    kept.build = Object.fromEntries(Object.entries(build).filter(([key]) => key !== 'cacheFrom'));
  }
  return kept;
}

/** JSON with object keys sorted at every level: the same value always prints the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
