import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inspectImage } from '../backends/docker/api.js';
import { packageRoot } from '../version.js';

/** The label holding the digest of the images/ folder an image was built from. */
export const CONTEXT_LABEL = 'dev.devc.context';

/**
 * A digest of every file under images/ (paths and contents). An image whose label differs was built
 * from other Dockerfiles or another agent, and is built again: a version tag alone would keep a stale
 * image on a developer's or CI machine.
 */
export function imagesDigest(): Promise<string> {
  digest ??= computeDigest();
  return digest;
}

let digest: Promise<string> | undefined;

async function computeDigest(): Promise<string> {
  const root = path.join(packageRoot, 'images');
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        hash
          .update(path.relative(root, full))
          .update('\0')
          .update(await readFile(full))
          .update('\0');
    }
  };
  await walk(root);
  return hash.digest('hex').slice(0, 16);
}

/** True when the image exists and was built from these images/ files. */
export async function imageCurrent(ref: string, digest: string): Promise<boolean> {
  return (await currentImageId(ref, digest)) !== undefined;
}

/** The image's id when it exists and was built from these images/ files. */
export async function currentImageId(ref: string, digest: string): Promise<string | undefined> {
  const image = await inspectImage(ref);
  return image?.Config?.Labels?.[CONTEXT_LABEL] === digest ? image.Id : undefined;
}
