import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../errors.js';
import { ensureHome } from '../home.js';
import type { IO } from '../io.js';
import type { Paths } from '../paths.js';
import { withLock } from '../workspace/lock.js';

/** The keychain service devc's entries are filed under (account: `github-token`, `secret/…`). */
export const KEYCHAIN_SERVICE = 'devc';

/** Where one stored value was found or put. */
export type StoreKind = 'keychain' | 'file';

/**
 * The token and secrets at rest: the OS keychain (macOS Keychain, Windows Credential Manager, the
 * Secret Service on Linux) through @napi-rs/keyring; when it does not answer, a 0600 file in DEVC_HOME,
 * used only after a warning on stderr. Never both for one value: a value the keychain takes leaves the file.
 */
export interface Keychain {
  /** The value and where it was, or undefined. */
  get(account: string): Promise<{ value: string; store: StoreKind } | undefined>;
  /** Stores the value; says where it went. */
  set(account: string, value: string): Promise<StoreKind>;
  /** Removes it from wherever it is; true when something was removed. */
  delete(account: string): Promise<boolean>;
  /** Every account devc stored (names only), in both places. */
  accounts(): Promise<string[]>;
  /** For `doctor` and `auth status`: whether the keychain takes a value (a real write and delete). */
  probe(): Promise<{ reachable: boolean; reason?: string }>;
  /** The fallback file's path. */
  readonly fallbackFile: string;
}

/** The part of @napi-rs/keyring devc uses; tests pass their own. */
export interface SystemKeychain {
  get(account: string): Promise<string | null>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  accounts(): Promise<string[]>;
}

export function credentialsFile(paths: Paths): string {
  return path.join(paths.home, 'credentials.json');
}

/** The keychain for this run; `system` defaults to the OS keychain, loaded on first use. */
export function openKeychain(paths: Paths, io: IO, system: SystemKeychain = osKeychain()): Keychain {
  const file = credentialsFile(paths);
  let warned = false;
  // Said once per run, before the file is first read or written: never a silent fallback.
  const fallback = (reason: string): void => {
    if (warned) return;
    warned = true;
    io.warn(`No OS keychain answers (${reason}): devc uses ${file} (mode 0600) instead.`);
  };
  const tryKeychain = async <T>(work: () => Promise<T>): Promise<{ ok: T } | { reason: string }> => {
    try {
      return { ok: await work() };
    } catch (error) {
      return { reason: shortReason(error) };
    }
  };
  const changeFile = (change: (entries: Record<string, string>) => boolean): Promise<boolean> =>
    withLock(paths.locksDir, 'credentials', async () => {
      const entries = await readEntries(file);
      if (!change(entries)) return false;
      await writeEntries(paths, file, entries);
      return true;
    });
  const removeFromFile = async (account: string): Promise<boolean> => {
    if (!(account in (await readEntries(file)))) return false;
    return changeFile((entries) => account in entries && delete entries[account]);
  };

  return {
    fallbackFile: file,
    async get(account) {
      const found = await tryKeychain(() => system.get(account));
      if ('ok' in found && found.ok !== null) return { value: found.ok, store: 'keychain' };
      const entries = await readEntries(file);
      const value = entries[account];
      if (value === undefined) return undefined;
      fallback('reason' in found ? found.reason : 'it holds no such entry');
      return { value, store: 'file' };
    },
    async set(account, value) {
      const stored = await tryKeychain(() => system.set(account, value));
      if ('ok' in stored) {
        // A copy kept in the file from a time without a keychain goes: one value, one place.
        await removeFromFile(account);
        return 'keychain';
      }
      fallback(stored.reason);
      await changeFile((entries) => {
        entries[account] = value;
        return true;
      });
      return 'file';
    },
    async delete(account) {
      const removed = await tryKeychain(() => system.delete(account));
      const fromFile = await removeFromFile(account);
      return ('ok' in removed && removed.ok) || fromFile;
    },
    async accounts() {
      const listed = await tryKeychain(() => system.accounts());
      const inFile = Object.keys(await readEntries(file));
      if (inFile.length > 0) fallback('reason' in listed ? listed.reason : 'entries kept from before');
      return [...new Set([...('ok' in listed ? listed.ok : []), ...inFile])].sort();
    },
    async probe() {
      const account = `doctor-probe-${process.pid}`;
      const result = await tryKeychain(async () => {
        await system.set(account, 'probe');
        await system.delete(account);
      });
      return 'ok' in result ? { reachable: true } : { reachable: false, reason: result.reason };
    },
  };
}

/** @napi-rs/keyring, imported on first use. On Linux pinned to the Secret Service: its other store,
 * the kernel keyring, forgets everything at reboot, which is no place for a token. */
function osKeychain(): SystemKeychain {
  const options = { linux: { store: 'secret-service' as const } };
  const entry = async (account: string) => {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    return new AsyncEntry(KEYCHAIN_SERVICE, account, options);
  };
  return {
    get: async (account) => (await entry(account)).getPassword(),
    set: async (account, value) => (await entry(account)).setPassword(value),
    delete: async (account) => (await entry(account)).deleteCredential(),
    accounts: async () => {
      const { findCredentialsAsync } = await import('@napi-rs/keyring');
      return (await findCredentialsAsync(KEYCHAIN_SERVICE)).map((c) => c.account);
    },
  };
}

/** The first line of the keychain's own error, without its prefix: said in the one warning line. */
function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/DBUS_SESSION_BUS_ADDRESS|Failed to connect to address/.test(message)) return 'no D-Bus session bus';
  if (/Secret Service: no result found/.test(message)) return 'the Secret Service has no unlocked keyring';
  const line = (message.split('\n')[0] ?? '').replace(
    /^(Couldn't access platform storage|Platform failure): /,
    '',
  );
  return line.length > 120 ? `${line.slice(0, 117)}...` : line || 'unknown error';
}

async function readEntries(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DevcError(`${file} is not valid JSON: ${(error as Error).message}.`, {
      hint: 'Fix it, or move it away and store the token and secrets again.',
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** Written whole under a temporary name with mode 0600, then renamed: never a moment readable by others. */
async function writeEntries(paths: Paths, file: string, entries: Record<string, string>): Promise<void> {
  await ensureHome(paths);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
