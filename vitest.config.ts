import { defineConfig } from 'vitest/config';

// Four projects: `unit` needs nothing but Node; `e2e` runs the built bin/devc against a real Docker
// engine; `k8s` runs against the real test cluster (test/cluster/cluster.sh up); `engines` runs three
// of the e2e suites again against a remote engine and rootless Podman (test/engines/run.sh).

/**
 * The Docker-engine projects see no cluster, whatever kubeconfig the machine or the caller has: devc
 * would otherwise also ask that cluster, and warn first on stderr when it is down (the k8s project's
 * lane stops the test cluster while these run).
 */
const noCluster = { KUBECONFIG: '/nonexistent/docker-engine-tests-use-no-cluster' };

/** What the projects that run against real engines share. */
const engineProject = {
  // dev8-base and the agent image, made first whichever file runs first.
  globalSetup: ['test/support/images-ready.ts'],
  // One more try for a test that fails: 540 tests on two shared cores meet rare timing faults.
  // A test that passes on its second try is named (test/support/flaky-reporter.ts).
  retry: 1,
  testTimeout: 600_000,
  hookTimeout: 900_000,
};

export default defineConfig({
  test: {
    // e2e files share one engine and one git fixture: one file at a time.
    fileParallelism: false,
    // The usual output, and a last line for each test that passed only on its retry.
    reporters: ['default', './test/support/flaky-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          testTimeout: 10_000,
          // No engine for unit tests: a docker call that slips in fails at once, whatever the machine has.
          env: { DOCKER_HOST: 'unix:///nonexistent/unit-tests-have-no-docker-engine.sock' },
        },
      },
      {
        test: {
          name: 'e2e',
          ...engineProject,
          env: noCluster,
          include: ['test/e2e/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'engines',
          ...engineProject,
          env: noCluster,
          // The engine (DOCKER_HOST) and its images come from test/engines/run.sh, never this machine's.
          globalSetup: ['test/support/engine-under-test.ts'],
          include: ['test/e2e/{walking-skeleton,ports,cp}.test.ts'],
        },
      },
      {
        test: {
          name: 'k8s',
          ...engineProject,
          include: ['test/k8s/**/*.test.ts'],
        },
      },
    ],
  },
});
