const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** A Kubernetes quantity ("500m", "4Gi", "1000000") as a number (NaN when it isn't one). */
export function parseQuantity(value: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const factor = SUFFIX[match[2] ?? ''];
  return factor === undefined ? Number.NaN : Number(match[1]) * factor;
}

/** Allocatable CPUs and memory of the first node; unknown (no permission to list nodes) is unlimited. */
export async function nodeCapacity(core: {
  listNode(): Promise<{ items: { status?: { allocatable?: Record<string, string> } }[] }>;
}): Promise<{ cpus: number; memoryBytes: number }> {
  const nodes = await core.listNode().catch(() => null);
  const first = nodes?.items[0]?.status?.allocatable;
  if (!first) return { cpus: Number.MAX_SAFE_INTEGER, memoryBytes: Number.MAX_SAFE_INTEGER };
  return { cpus: parseQuantity(first.cpu ?? '0'), memoryBytes: parseQuantity(first.memory ?? '0') };
}
