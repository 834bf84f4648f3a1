import { access, appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../errors.js';
import { lockfileOf } from './build-inputs.js';
import { runDevcontainer, type CliLog } from './cli.js';
import { failureCause } from './failure.js';
import { targetPlatform } from './image-tag.js';

/** What building a config's image needs: the config, where it goes, where its log goes. */
export interface ImageBuild {
  sourcePath: string;
  /** The devcontainer.json, relative to the source. */
  configFile: string;
  reference: string;
  platform: string;
  logFile: string;
  noCache?: boolean | undefined;
  onLog?: ((log: CliLog) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** What to tell the user to do once the build is fixed, e.g. "run `devc up` again". */
  next: string;
}

/** One line in the build log. */
export async function logLine(logFile: string, line: string): Promise<void> {
  await mkdir(path.dirname(logFile), { recursive: true });
  await appendFile(logFile, `${line}\n`);
}

/**
 * `devcontainer build --image-name REFERENCE` through the pinned Dev Containers CLI, on this machine's
 * engine: the image, with the config's and its Features' metadata in its label. A failed build leaves
 * no tag and says the failing step with the log's last lines.
 */
export async function buildImage(build: ImageBuild): Promise<void> {
  const configFile = path.resolve(build.sourcePath, build.configFile);
  await logLine(
    build.logFile,
    `devc: building ${build.reference} (${build.platform}) with the Dev Containers CLI.`,
  );
  const { result, tail } = await runDevcontainer(
    [
      'build',
      '--workspace-folder',
      build.sourcePath,
      '--config',
      configFile,
      '--image-name',
      build.reference,
      // Another platform than this machine's (`prebuild --platform`): buildx builds it, if it can.
      ...(build.platform !== targetPlatform() ? ['--platform', build.platform] : []),
      ...(build.noCache ? ['--no-cache'] : []),
      // The CLI would write a lockfile into the user's tree (and so change the hash): only one the
      // repository has is used.
      ...((await exists(lockfileOf(configFile))) ? [] : ['--no-lockfile']),
    ],
    {
      logFile: build.logFile,
      ...(build.onLog ? { onLog: build.onLog } : {}),
      ...(build.signal ? { signal: build.signal } : {}),
    },
  );
  if (result.outcome === 'success') return;
  const message = typeof result.message === 'string' ? result.message : 'no message';
  const { cause, advice } = failureCause(message, result.noResult ? [] : tail);
  throw new DevcError(`The image build failed: ${cause}`, {
    hint: `${advice ?? `Fix the Dockerfile or Features and ${build.next}.`} The whole log is in ${build.logFile}.`,
    details: tail
      .filter((l) => !/^\s+at /.test(l) && !/^\s*Error: Command failed:/.test(l))
      .slice(-15)
      .join('\n'),
  });
}

/** `docker push`; a refused push leaves no tag of it behind. */
export async function pushBuiltImage(reference: string, host: string, logFile: string): Promise<void> {
  const { docker } = await import('../backends/docker/engine.js');
  await logLine(logFile, `devc: pushing ${reference}.`);
  const pushed = await docker(['push', reference], { allowFailure: true });
  if (pushed.exitCode === 0) return;
  await docker(['rmi', reference], { allowFailure: true });
  const reason = pushed.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${pushed.exitCode}`;
  throw new DevcError(`Can't push the built image to ${host}: ${reason}`, {
    hint: `Log in with \`docker login ${host}\` as a user who may push, or name a registry you may push to.`,
    details: pushed.stderr.trim(),
  });
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );
