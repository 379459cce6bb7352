// native/rules.c (Docker's restart rules, as podgen-unit applies them) against
// moby's restartmanager, transcribed below from its Go code, on random
// histories of container ends (fast-check); and the boot rules and exit codes
// case by case. The C code runs for real, through a small driver.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { REPO_ROOT } from '../support/cli';

/** moby/restartmanager: ShouldRestart, with the count kept by the caller as in the daemon. */
function moby(policy: string, state: { count: number; timeout: number }, exitCode: number, ranMs: number): boolean {
  const [name, max] = policy.split(':') as [string, string | undefined];
  if (ranMs >= 10_000) state.timeout = 0;
  if (state.timeout === 0) state.timeout = 100;
  else if (state.timeout < 60_000) state.timeout *= 2;
  if (state.timeout > 60_000) state.timeout = 60_000;
  let restart = false;
  if (name === 'always' || name === 'unless-stopped') restart = true;
  else if (name === 'on-failure') {
    const m = Number(max ?? 0);
    if (m === 0 || state.count < m) restart = exitCode !== 0;
  }
  if (restart) state.count++;
  return restart;
}

describe('Docker\'s restart rules in native/rules.c', function () {
  this.timeout(60_000);
  let driver = '';
  let dir = '';
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-rules-'));
    driver = path.join(dir, 'rules-driver');
    const n = (f: string): string => path.join(REPO_ROOT, 'native', f);
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', driver, path.join(REPO_ROOT, 'test/fixtures/helpers/rules-driver.c'), n('rules.c'), n('util.c'), n('record.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `building the rules driver: ${cc.stderr}`);
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ask = (queries: readonly string[]): string[] => {
    const r = spawnSync(driver, [], { input: `${queries.join('\n')}\n`, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  };

  it('back-off and count follow moby\'s restartmanager over 300 random histories', function () {
    const policy = fc.constantFrom('always', 'unless-stopped', 'on-failure', 'on-failure:0', 'on-failure:1', 'on-failure:3', 'on-failure:10', 'no');
    const end = fc.record({ exit: fc.constantFrom(0, 1, 2, 137, 143, 255), ranMs: fc.oneof(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 10_000, max: 100_000 }), fc.constant(9_999), fc.constant(10_000)) });
    fc.assert(
      fc.property(policy, fc.array(end, { minLength: 1, maxLength: 25 }), (p, ends) => {
        // One driver run a history: each step asked from the state moby's rules give before it
        // (the same as feeding back C's own answers, as long as every answer agrees).
        const want = { count: 0, timeout: 0 };
        const queries: string[] = [];
        const expected: string[] = [];
        for (const e of ends) {
          queries.push(`end ${p} ${want.count} ${want.timeout} ${e.exit} ${e.ranMs}`);
          const restart = moby(p, want, e.exit, e.ranMs);
          expected.push(`${restart ? 'restart' : 'stay'} ${want.count} ${want.timeout}`);
        }
        assert.deepEqual(ask(queries), expected, `${p}: ${JSON.stringify(ends)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('the steps: 100 ms doubled to 1 min, and no further; back to 100 ms after a run of 10 s', function () {
    const steps: number[] = [];
    let backoff = 0;
    for (let i = 0; i < 12; i++) {
      const [, , b] = (ask([`end always ${i} ${backoff} 1 5`])[0] as string).split(' ');
      backoff = Number(b);
      steps.push(backoff);
    }
    assert.deepEqual(steps, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    assert.equal(ask(['end always 12 60000 1 10000'])[0], 'restart 13 100');
    assert.equal(ask(['end always 12 60000 1 9999'])[0], 'restart 13 60000');
  });

  it('at boot: what comes back, per policy and the last state', function () {
    const table: Array<[string, string, number, 'up' | 'down']> = [
      ['always', 'stopped', 137, 'up'],
      ['always', 'exited', 0, 'up'],
      ['unless-stopped', 'stopped', 137, 'down'],
      ['unless-stopped', 'running', -1, 'up'],
      ['unless-stopped', 'waiting', 1, 'up'],
      ['unless-stopped', 'shutdown', 143, 'up'],
      ['on-failure', 'exited', 0, 'down'],
      ['on-failure', 'exited', 1, 'up'],
      ['on-failure:3', 'gave-up', 1, 'up'],
      ['on-failure', 'stopped', 143, 'down'],
      ['on-failure', 'running', -1, 'up'],
      ['on-failure', 'starting', -1, 'up'],
      ['on-failure', 'waiting', 1, 'up'],
      ['on-failure', 'shutdown', 143, 'up'],
      ['no', 'stopped', 137, 'up'], // no: the definition's [Install] decides, podgen does not interfere
    ];
    assert.deepEqual(ask(table.map(([p, phase, exit]) => `boot ${p} ${phase} ${exit}`)), table.map((t) => t[3]));
  });

  it('exit codes as Docker reports them, and what systemd\'s own Restart= would do', function () {
    assert.deepEqual(ask(['exit exited 0 success', 'exit exited 3 exit-code', 'exit killed KILL signal', 'exit killed TERM success', 'exit dumped SEGV core-dump', 'exit killed RTMIN+3 signal', 'exit - - exit-code', 'exit - - success']), ['0', '3', '137', '143', '139', '165', '1', '0']);
    assert.deepEqual(ask(['native always success', 'native always exec-condition', 'native on-failure success', 'native on-failure exit-code', 'native on-failure:3 signal', 'native no exit-code', 'native systemd exit-code']), ['1', '0', '0', '1', '1', '0', '0']);
  });
});
