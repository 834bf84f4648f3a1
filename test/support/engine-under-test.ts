// The `engines` project's global setup: its suites run against the engine test/engines/run.sh names
// (DEVC_TEST_ENGINE, DOCKER_HOST), never by accident against this machine's own Docker engine.
export default function setup(): void {
  const engine = process.env.DEVC_TEST_ENGINE;
  if (!engine || !process.env.DOCKER_HOST)
    throw new Error(
      'The engines project runs through test/engines/run.sh remote|podman, which names the engine.',
    );
  process.stderr.write(`engines: ${engine} (DOCKER_HOST=${process.env.DOCKER_HOST})\n`);
}
