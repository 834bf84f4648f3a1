import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** Global setup of the e2e and k8s projects: scripts/images-ready.mjs (a no-op when the images are current). */
export default async function setup(): Promise<void> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/images-ready.mjs');
  await execa('node', [script], { stdio: 'inherit' });
}
