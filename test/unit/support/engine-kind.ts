import type { EngineKind } from '../../../src/backends/docker/engine-kind.js';

/** A rootful Docker engine on this machine's socket, with `over` changed. */
export const kind = (over: Partial<EngineKind>): EngineKind => ({
  product: 'docker',
  version: '28.2.2',
  rootless: false,
  local: true,
  vm: false,
  ...over,
});
