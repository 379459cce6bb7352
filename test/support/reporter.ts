// mocha's spec reporter, plus one closing line with every count, so the last
// line of `npm test` always states them (with no failures mocha's own summary
// ends on "N pending", or on "N passing").

import * as Mocha from 'mocha';

class PodgenReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // Registered after Spec's own summary, so it prints last.
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`tests: ${s?.passes ?? 0} passing, ${s?.failures ?? 0} failing, ${s?.pending ?? 0} pending (skipped, each saying why)\n`);
    });
  }
}

export = PodgenReporter;
