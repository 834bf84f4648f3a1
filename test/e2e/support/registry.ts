import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** A registry the test owns: Debian's docker-registry (scripts/setup-host.sh) on a loopback port. */
export interface TestRegistry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'registry.yml');
  await writeFile(
    config,
    `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${dir}/data}\n  delete: {enabled: true}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ResultPromise = execa('docker-registry', ['serve', config], {
    reject: false,
    stdin: 'ignore',
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 100)
      throw new Error(`docker-registry did not answer on ${host}: ${String((await child).stderr)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    async stop() {
      child.kill();
      await child;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A read-only registry on 127.0.0.1: it answers reads (nothing is there) and refuses every upload
 * with 403 DENIED "this registry is read-only".
 */
export async function startRefusingRegistry(): Promise<TestRegistry> {
  const server = createHttpServer((req, res) => {
    if (req.url === '/v2/' || req.url === '/v2')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else if (req.method === 'HEAD' || req.method === 'GET') res.writeHead(404).end();
    else
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'this registry is read-only' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
