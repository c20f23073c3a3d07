// A vitest reporter that adds one plain closing line, "N passed, N failed[, N skipped]", after
// vitest's own summary, so that any log reader (CI included) can tell how many tests ran.
// Used by the root `test` script: vitest run --reporter=default --reporter=./scripts/vitest-summary-reporter.mjs

/** @type {import('vitest/reporters').Reporter} */
export default class PlainSummaryReporter {
  /**
   * @param {ReadonlyArray<import('vitest/node').TestModule>} testModules
   * @param {ReadonlyArray<unknown>} unhandledErrors
   * @param {'passed' | 'interrupted' | 'failed'} reason
   */
  onTestRunEnd(testModules, unhandledErrors, reason) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let brokenModules = 0;
    for (const testModule of testModules) {
      let failedHere = 0;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedHere += 1;
        else skipped += 1;
      }
      failed += failedHere;
      // A module that failed without a failed test (import error, failing beforeAll) still counts.
      if (failedHere === 0 && testModule.state() === 'failed') brokenModules += 1;
    }
    failed += brokenModules + unhandledErrors.length;
    if (failed === 0 && reason !== 'passed') failed = 1;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
