import type { SystemKeychain } from '../../../src/credentials/keychain.js';

/** An OS keychain in memory; `broken` makes every call fail as one with no Secret Service does. */
export function memoryKeychain(options: { broken?: boolean } = {}) {
  const entries = new Map<string, string>();
  const answer = <T>(work: () => T): Promise<T> =>
    options.broken
      ? Promise.reject(new Error("Couldn't access platform storage: Secret Service: no result found"))
      : Promise.resolve(work());
  const system: SystemKeychain = {
    get: (account) => answer(() => entries.get(account) ?? null),
    set: (account, value) => answer(() => void entries.set(account, value)),
    delete: (account) => answer(() => entries.delete(account)),
    accounts: () => answer(() => [...entries.keys()]),
  };
  return { system, entries };
}
