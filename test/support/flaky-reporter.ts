import path from 'node:path';
import type { Reporter, TestCase } from 'vitest/node';

/**
 * Names every test that passed only on a retry (the e2e and k8s projects retry once), at the end of
 * the run: such a test passes, and it is never quiet. scripts/test-all.sh gathers these lines.
 */
export default class FlakyReporter implements Reporter {
  private readonly flaky: string[] = [];

  onTestCaseResult(test: TestCase): void {
    const diagnostic = test.diagnostic();
    if (diagnostic?.flaky && test.result().state === 'passed')
      this.flaky.push(
        `${path.relative(process.cwd(), test.module.moduleId)} > ${test.fullName} (passed on try ${diagnostic.retryCount + 1})`,
      );
  }

  onTestRunEnd(): void {
    for (const line of this.flaky) console.log(`FLAKY ${line}`);
  }
}
