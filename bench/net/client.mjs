// The client: one stream of MIB mebibytes sent (MB/s), or received (read 1 MiB at a time, so the
// client is not what limits it), or CONNS sequential echo connections (p50 ms).
import net from 'node:net';
const [mode, port, n, host = '127.0.0.1'] = process.argv.slice(2);
const once = (f) => new Promise(f);
if (mode === 'download') {
  let got = 0;
  const start = process.hrtime.bigint();
  const onread = { buffer: Buffer.allocUnsafe(1 << 20), callback: (size) => void (got += size) };
  const s = net.connect({ host, port: Number(port), onread });
  s.once('connect', () => s.end());
  await once((r) => s.once('close', r));
  if (got !== Number(n) * 1048576) throw new Error(`received ${got} bytes`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(((Number(n) * 1.048576) / seconds).toFixed(0));
} else if (mode === 'stream') {
  const chunk = Buffer.alloc(1 << 20);
  const start = process.hrtime.bigint();
  const s = net.connect({ host, port: Number(port) });
  await once((r) => s.once('connect', r));
  for (let i = 0; i < Number(n); i++) if (!s.write(chunk)) await once((r) => s.once('drain', r));
  s.end();
  s.resume();
  await once((r) => s.once('close', r));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(((Number(n) * 1.048576) / seconds).toFixed(0));
} else {
  const times = [];
  for (let i = 0; i < Number(n); i++) {
    const start = process.hrtime.bigint();
    const s = net.connect({ host, port: Number(port), noDelay: true });
    s.on('connect', () => s.write('x'));
    await once((r) => s.once('data', r));
    s.destroy();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)].toFixed(3));
}
