import { Writable } from 'node:stream';
import type { LogOptions } from '../backend.js';
import { DevcError } from '../../errors.js';
import type { KubeTarget } from './client.js';
import { callOrNull } from './errors.js';
import { objectName } from './objects.js';
import { CONTAINER } from './exec.js';
import { kubernetesClient } from './library.js';

/** The log of workspace `name`'s container, or an error saying its pod (so its log) is gone. */
export async function followWorkspaceLogs(
  target: KubeTarget,
  namespace: string,
  name: string,
  options: LogOptions,
  out: NodeJS.WritableStream,
): Promise<void> {
  const pod = await callOrNull('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: objectName(name), namespace }),
  );
  if (!pod)
    throw new DevcError(`Workspace ${name} is stopped: its pod, and the pod's log, are gone.`, {
      hint: `Start it with \`devc start -w ${name}\`.`,
    });
  await followLogs(target, namespace, objectName(name), options, out);
}

/** The workspace container's log into `out` (never ended); a followed log ends when the signal aborts. */
export async function followLogs(
  target: KubeTarget,
  namespace: string,
  pod: string,
  options: LogOptions,
  out: NodeJS.WritableStream,
): Promise<void> {
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (out.write(chunk)) done();
      else out.once('drain', () => done());
    },
    final(done) {
      finish();
      done();
    },
  });
  sink.on('close', () => finish());
  const { Log } = await kubernetesClient();
  const controller = await new Log(target.config).log(namespace, pod, CONTAINER, sink, {
    follow: Boolean(options.follow),
    ...(options.tail !== undefined ? { tailLines: options.tail } : {}),
  });
  const abort = (): void => {
    controller.abort();
    finish();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}
