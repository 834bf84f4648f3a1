import { parseProcNetTcp, type Listening } from './proc-net.js';

/** Marks the end of one scan in the watcher's output. */
const END = '@@devc-scan@@';

/**
 * The listening-port watcher run inside a workspace (`sh -c`): one long-lived exec prints
 * /proc/net/tcp{,6} every second. It stops by itself after about ten minutes (and the forwarder starts
 * another) so that a forwarder killed hard leaves no loop behind: no engine ends an exec when its
 * client goes away.
 */
export const SCAN_COMMAND = [
  'sh',
  '-c',
  `i=0; while [ $i -lt 600 ]; do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ${END}; i=$((i+1)); sleep 1; done`,
];

/** Takes the watcher's output in chunks as they come and calls `onScan` once per complete scan. */
export function scanReader(onScan: (ports: Map<number, Listening>) => void): (chunk: string) => void {
  let pending = '';
  let scan = '';
  return (chunk) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line === END) {
        onScan(parseProcNetTcp(scan));
        scan = '';
      } else scan += `${line}\n`;
    }
  };
}
