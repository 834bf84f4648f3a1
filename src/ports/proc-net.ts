/** How a listening port inside the workspace can be reached from outside its network namespace. */
export interface Listening {
  port: number;
  /** Bound to a wildcard or a non-loopback address: the workspace's own address reaches it. */
  direct: boolean;
}

const LISTEN = '0A';
/** 127.0.0.11: the engine's DNS resolver on user-defined networks (devc's), not the workspace's server. */
const ENGINE_DNS = '0B00007F';

/**
 * Listening TCP ports from the text of /proc/net/tcp and /proc/net/tcp6 (concatenated is fine).
 * Addresses are hex in host byte order: 0100007F is 127.0.0.1, and ::1 ends in 01000000.
 */
export function parseProcNetTcp(text: string): Map<number, Listening> {
  const found = new Map<number, Listening>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !/^\d+:$/.test(fields[0] ?? '') || fields[3] !== LISTEN) continue;
    const [addressHex, portHex] = (fields[1] ?? '').split(':');
    if (!addressHex || !portHex || addressHex.toUpperCase() === ENGINE_DNS) continue;
    const port = parseInt(portHex, 16);
    if (!Number.isInteger(port) || port <= 0) continue;
    const direct = !isLoopback(addressHex);
    const seen = found.get(port);
    found.set(port, { port, direct: direct || Boolean(seen?.direct) });
  }
  return found;
}

function isLoopback(hex: string): boolean {
  const h = hex.toUpperCase();
  if (h.length === 8) return h.endsWith('7F'); // 127.0.0.0/8, last byte in host order
  if (h.length === 32) {
    if (h === '00000000000000000000000001000000') return true; // ::1
    // ::ffff:127.x.x.x (v4-mapped)
    return h.startsWith('0000000000000000FFFF0000') && h.endsWith('7F');
  }
  return false;
}
