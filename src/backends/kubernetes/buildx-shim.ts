/**
 * The part of devc's `docker` for the Dev Containers CLI (cluster-build.ts, `shimScript`) that needs
 * Node: a base image's user, environment and labels for `inspect`/`pull`, read from its registry (no
 * engine). Why it could not answer is also written to DEVC_BUILDX_PLAN + `.error`, which the CLI's own
 * message ("Command failed: docker pull …") does not say. Run as `node buildx-shim.js ARGS…`.
 */
import { writeFile } from 'node:fs/promises';
import { readImageFacts } from './registry-image.js';

async function answer(args: string[]): Promise<number> {
  const [a = '', b = ''] = args;
  // `pull`: the CLI pulls when inspect fails, then inspects again; both ask the registry.
  if (a === 'pull') {
    await readImageFacts(args.at(-1) ?? '');
    return 0;
  }
  if ((a === 'inspect' && args.includes('image')) || (a === 'image' && b === 'inspect')) {
    const reference = args.at(-1) ?? '';
    const facts = await readImageFacts(reference);
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    return say(
      JSON.stringify([
        {
          Id: reference,
          Os: 'linux',
          Architecture: arch,
          Config: { User: facts.user, Env: facts.env, Labels: facts.labels },
        },
      ]),
    );
  }
  throw new Error(`devc's cluster build does not answer \`docker ${args.join(' ')}\`.`);
}

/** An answer to the Dev Containers CLI, which reads it as `docker`'s output: not devc's own (src/io.ts). */
function say(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

const planFile = process.env.DEVC_BUILDX_PLAN;
answer(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    // The CLI reports only "Command failed: docker pull …": devc reads the reason from here.
    if (planFile) await writeFile(`${planFile}.error`, message).catch(() => undefined);
    process.exitCode = 1;
  },
);
