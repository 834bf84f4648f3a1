import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/** One entry of a hand-made archive: a file unless `type` says otherwise. */
export type ArchiveEntry = Partial<tar.Header> & { name: string; body?: string | Buffer };

/** A .tar.gz of `entries`, made with tar-stream: also archives no honest tar writes (`..`, devices). */
export async function tarGz(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const read = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { body, ...header } of entries)
    await new Promise<void>((resolve, reject) =>
      pack.entry({ type: 'file', ...header }, body ?? '', (e) => (e ? reject(e) : resolve())),
    );
  pack.finalize();
  await read;
  return gzipSync(Buffer.concat(chunks));
}
