// The restart manager with real containers (podgen engine, runc) under the
// sandbox's real systemd: Docker's back-off, on-failure:N, stops by hand,
// `update --restart`. Containers log each start to a file (their kernel
// uptime); the restart manager's record says what it decided.
//
// Timing tolerance: a restart's measured start-to-start interval is the
// back-off plus the run itself, the cleanup and the start (runc create):
// here ~50-150 ms, so each interval must lie in [back-off, back-off + 400 ms].

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { useRestartHarness, sleep, until, uptime } from '../support/restartHarness';

const TOLERANCE_S = 0.4;

/** Intervals between successive starts, in seconds. */
const intervals = (starts: readonly number[]): number[] => starts.slice(1).map((s, i) => Number((s - (starts[i] as number)).toFixed(2)));

describe('restart manager: Docker\'s restart policies with real containers (sandbox)', function () {
  this.timeout(300_000);
  const env = useRestartHarness('podgen-restart-');


  it('a crash loop restarts after 100, 200, 400, 800, 1600, 3200 ms; ps shows it restarting', async function () {
    env.h.define('loop', 'exit 1', 'RestartPolicy=always\n');
    assert.equal(env.h.run(['install', 'loop']).status, 0);
    env.h.sb.execOk(['systemctl', 'start', '--no-block', 'loop.service']);
    try {
      await until(() => env.h.starts('loop').length >= 7, 20_000, '7 starts', () => env.h.journal('loop'));
      const got = intervals(env.h.starts('loop').slice(0, 7));
      const expected = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2];
      got.forEach((g, i) => {
        const want = expected[i] as number;
        assert.ok(g >= want - 0.01 && g <= want + TOLERANCE_S, `interval ${i + 1} is ${g} s, expected ${want} s (+${TOLERANCE_S} s at most): ${got.join(', ')}`);
      });
      // Waiting its 6.4 s now: ps says so, systemd says the unit is activating, podgen says when.
      await until(() => env.h.record('loop')?.phase === 'waiting' && env.h.record('loop')?.backoffMs === 6400, 5_000, 'the 7th back-off');
      const ps = env.h.run(['ps', '--json']);
      const row = (JSON.parse(ps.stdout) as Array<{ unit: string; status: string; restartCount: number; state: { Status: string; Restarting: boolean } }>).find((r) => r.unit === 'loop.service');
      assert.ok(row, ps.stdout);
      assert.match(row.status, /^restarting \(in \d+(\.\d)?s\)$/);
      assert.equal(row.restartCount, 7);
      assert.deepEqual([row.state.Status, row.state.Restarting], ['restarting', true]);
      assert.equal(env.h.active('loop'), 'activating');
    } finally {
      env.h.down('loop');
    }
  });

  it('the back-off returns to 100 ms after a run of 10 s or more, and doubles again after', async function () {
    // Runs end at once, except one that lasts 11 s (while /log/long-reset exists; it removes it).
    env.h.define('reset', 'if [ -e /log/long-reset ]; then rm /log/long-reset; sleep 11; fi; exit 1', 'RestartPolicy=on-failure\n');
    assert.equal(env.h.run(['install', 'reset']).status, 0);
    env.h.sb.execOk(['systemctl', 'start', '--no-block', 'reset.service']);
    try {
      await until(() => env.h.starts('reset').length >= 4, 10_000, '4 starts (100, 200, 400 ms back-offs)', () => env.h.journal('reset'));
      env.h.flag('long-reset', true);
      await until(() => env.h.starts('reset').length >= 7, 30_000, 'the long run and two more', () => env.h.journal('reset'));
      const s = env.h.starts('reset');
      // Start 5 or 6 was the long one (the flag was set during a back-off or a run); find it.
      const gaps = intervals(s);
      const long = gaps.findIndex((g) => g >= 11);
      assert.ok(long >= 3, `no run of 11 s: ${gaps.join(', ')}`);
      const afterLong = (gaps[long] as number) - 11;
      assert.ok(afterLong >= 0.1 - 0.01 && afterLong <= 0.1 + TOLERANCE_S, `after the 11 s run the delay was ${afterLong.toFixed(2)} s, expected 0.1 s: ${gaps.join(', ')}`);
      const next = gaps[long + 1] as number;
      assert.ok(next >= 0.2 - 0.01 && next <= 0.2 + TOLERANCE_S, `then ${next} s, expected 0.2 s: ${gaps.join(', ')}`);
    } finally {
      env.h.down('reset');
    }
  });

  it('the back-off stops growing at 1 minute (the scheduled delay, read from the record)', async function () {
    env.h.define('capped', 'sleep 2; exit 1', 'RestartPolicy=always\n');
    assert.equal(env.h.run(['up', 'capped']).status, 0);
    try {
      // As if it had crashed ten times already (100 ms doubled to 51.2 s): the next step is the cap.
      await until(() => env.h.record('capped')?.phase === 'running', 10_000, 'the container to run');
      env.h.seedRecord('capped', 'backoff_ms', '51200');
      await until(() => env.h.record('capped')?.phase === 'waiting', 10_000, 'the end of the run', () => env.h.journal('capped'));
      const r = env.h.record('capped');
      assert.equal(r?.backoffMs, 60_000);
      assert.ok(r?.restartAt && r.finishedAt && Math.abs(r.restartAt - r.finishedAt - 60_000) < 50, JSON.stringify(r));
      const ps = JSON.parse(env.h.run(['ps', '--json']).stdout) as Array<{ unit: string; status: string }>;
      assert.match(ps.find((x) => x.unit === 'capped.service')?.status ?? '', /^restarting \(in (59|60)s\)$/);
      // A stop during that minute ends the wait at once, and nothing starts again.
      const t0 = Date.now();
      assert.equal(env.h.run(['stop', 'capped']).status, 0);
      assert.ok(Date.now() - t0 < 5_000, `stop took ${Date.now() - t0} ms`);
      assert.equal(env.h.active('capped'), 'inactive');
      assert.equal(env.h.record('capped')?.phase, 'stopped');
    } finally {
      env.h.down('capped');
    }
  });

  it('on-failure:3 with exit 1: exactly 4 runs, then gave up (failed); podgen start gives 4 more', async function () {
    env.h.define('three', 'exit 1', 'RestartPolicy=on-failure:3\n');
    assert.equal(env.h.run(['install', 'three']).status, 0);
    try {
      env.h.sb.execOk(['systemctl', 'start', '--no-block', 'three.service']);
      await until(() => env.h.record('three')?.phase === 'gave-up', 10_000, 'on-failure:3 to give up', () => env.h.journal('three'));
      await sleep(1500); // a 5th run would have come within 1.6 s
      assert.equal(env.h.starts('three').length, 4);
      assert.equal(env.h.active('three'), 'failed');
      assert.deepEqual(env.h.show('three', ['Result', 'ExecMainStatus']), { Result: 'exit-code', ExecMainStatus: '1' });
      const ps = JSON.parse(env.h.run(['ps', '-a', '--json']).stdout) as Array<{ unit: string; status: string; restartCount: number }>;
      const row = ps.find((x) => x.unit === 'three.service');
      assert.deepEqual([row?.status, row?.restartCount], ['gave up after 3 restarts', 3]);
      // A start by hand resets the count (Docker): 4 more runs. podgen start waits for "up", which never comes.
      const start = env.h.run(['start', 'three']);
      assert.notEqual(start.status, 0);
      await until(() => env.h.starts('three').length === 8 && env.h.record('three')?.phase === 'gave-up', 10_000, '4 more runs', () => env.h.journal('three'));
      await sleep(1500);
      assert.equal(env.h.starts('three').length, 8);
    } finally {
      env.h.down('three');
    }
  });

  it('on-failure: exit 0 is never restarted; a SIGKILL from outside is a failure and is', async function () {
    env.h.define('clean', 'exit 0', 'RestartPolicy=on-failure\n');
    env.h.define('killed', 'exec sleep 600', 'RestartPolicy=on-failure\n');
    assert.equal(env.h.run(['install', 'clean']).status, 0);
    try {
      env.h.sb.execOk(['systemctl', 'start', 'clean.service']);
      await until(() => env.h.record('clean')?.phase === 'exited', 5_000, 'the clean exit');
      await sleep(1000);
      assert.equal(env.h.starts('clean').length, 1);
      assert.equal(env.h.active('clean'), 'inactive');
      assert.equal(env.h.record('clean')?.exitCode, 0);

      assert.equal(env.h.run(['up', 'killed']).status, 0);
      env.h.killMain('killed');
      await until(() => env.h.starts('killed').length === 2 && env.h.active('killed') === 'active', 10_000, 'the restart after SIGKILL', () => env.h.journal('killed'));
      const r = env.h.record('killed');
      assert.deepEqual([r?.exitCode, r?.restartCount, r?.phase], [137, 1, 'running']);
    } finally {
      env.h.down('clean', 'killed');
    }
  });

  it('a stop by hand (podgen stop -t, or systemctl stop) of a container that ignores SIGTERM is no failure and no restart', async function () {
    // busybox sleep as PID 1 has no SIGTERM handler: only SIGKILL ends it.
    env.h.define('deaf', 'exec sleep 600', 'RestartPolicy=always\nStopTimeout=3\n');
    assert.equal(env.h.run(['up', 'deaf']).status, 0);
    try {
      const t0 = Date.now();
      const stop = env.h.run(['stop', '-t', '1', 'deaf']);
      const took = Date.now() - t0;
      assert.equal(stop.status, 0, stop.stderr);
      assert.ok(took >= 1000 && took < 2900, `podgen stop -t 1 took ${took} ms (StopTimeout=3 would take 3 s)`);
      assert.deepEqual(env.h.show('deaf', ['ActiveState', 'Result']), { ActiveState: 'inactive', Result: 'success' });
      const r = env.h.record('deaf');
      assert.deepEqual([r?.phase, r?.exitCode], ['stopped', 137]);
      const ps = JSON.parse(env.h.run(['ps', '-a', '--json']).stdout) as Array<{ unit: string; status: string }>;
      assert.equal(ps.find((x) => x.unit === 'deaf.service')?.status, 'exited (137), stopped by hand');
      await sleep(1000);
      assert.equal(env.h.starts('deaf').length, 1, 'restarted after a stop by hand');
      assert.doesNotMatch(env.h.sb.exec(['systemctl', '--failed', '--no-legend']).stdout, /deaf/);

      // A plain systemctl stop is a stop by hand too; without -t the definition's StopTimeout= applies (-t was for one stop).
      assert.equal(env.h.run(['start', 'deaf']).status, 0);
      const t1 = Date.now();
      env.h.sb.execOk(['systemctl', 'stop', 'deaf.service']);
      assert.ok(Date.now() - t1 >= 2_900, `systemctl stop took ${Date.now() - t1} ms: StopTimeout=3 should apply`);
      assert.deepEqual(env.h.show('deaf', ['ActiveState', 'Result']), { ActiveState: 'inactive', Result: 'success' });
      assert.equal(env.h.record('deaf')?.phase, 'stopped');
      await sleep(500);
      assert.equal(env.h.active('deaf'), 'inactive');
    } finally {
      env.h.down('deaf');
    }
  });

  it('policy no: a SIGKILL from outside leaves the unit failed (a crash is a failure), and nothing restarts', async function () {
    env.h.define('norestart', 'exec sleep 600', '');
    assert.equal(env.h.run(['up', 'norestart']).status, 0);
    try {
      env.h.killMain('norestart');
      await until(() => env.h.active('norestart') === 'failed', 5_000, 'the unit to fail', () => env.h.journal('norestart'));
      assert.deepEqual([env.h.record('norestart')?.phase, env.h.record('norestart')?.exitCode], ['exited', 137]);
      await sleep(500);
      assert.equal(env.h.starts('norestart').length, 1);
    } finally {
      env.h.down('norestart');
    }
  });

  it('systemctl stop during a 3.2 s back-off: it ends at once and nothing starts again', async function () {
    env.h.define('midwait', 'sleep 3; exit 1', 'RestartPolicy=unless-stopped\n');
    assert.equal(env.h.run(['up', 'midwait']).status, 0);
    try {
      env.h.seedRecord('midwait', 'backoff_ms', '1600');
      await until(() => env.h.record('midwait')?.phase === 'waiting', 8_000, 'the 3.2 s back-off', () => env.h.journal('midwait'));
      assert.equal(env.h.record('midwait')?.backoffMs, 3200);
      await sleep(500);
      const t0 = Date.now();
      env.h.sb.execOk(['systemctl', 'stop', 'midwait.service']);
      assert.ok(Date.now() - t0 < 1500, `the stop took ${Date.now() - t0} ms`);
      const startsThen = env.h.starts('midwait').length;
      await sleep(4000);
      assert.equal(env.h.starts('midwait').length, startsThen, 'started again after the stop');
      assert.equal(env.h.active('midwait'), 'inactive');
      assert.equal(env.h.record('midwait')?.phase, 'stopped');
    } finally {
      env.h.down('midwait');
    }
  });

  it('update --restart changes the policy of a running container without restarting it, and it acts on it', async function () {
    env.h.define('live', 'exec sleep 600', 'RestartPolicy=no\n');
    assert.equal(env.h.run(['up', 'live']).status, 0);
    try {
      const pid = env.h.mainPid('live');
      const u = env.h.run(['update', '--restart', 'always', 'live']);
      assert.equal(u.status, 0, u.stderr);
      assert.match(u.stdout, /^live\.service: restart policy always \(was no\)/m);
      assert.equal(env.h.mainPid('live'), pid, 'update restarted the container');
      const ps = JSON.parse(env.h.run(['ps', '--json']).stdout) as Array<{ unit: string; restartPolicy: string }>;
      assert.equal(ps.find((x) => x.unit === 'live.service')?.restartPolicy, 'always');
      env.h.killMain('live');
      await until(() => env.h.starts('live').length === 2 && env.h.active('live') === 'active', 10_000, 'the restart under the new policy', () => env.h.journal('live'));
      // The definition file is the user's: untouched.
      assert.match(fs.readFileSync(`${env.h.defs}/live.container`, 'utf8'), /^RestartPolicy=no$/m);
    } finally {
      env.h.down('live');
    }
  });

  it('bad input: update of an unknown container or with an unknown policy changes nothing', function () {
    env.h.define('bystander', 'exec sleep 600', 'RestartPolicy=always\n');
    assert.equal(env.h.run(['install', 'bystander']).status, 0);
    try {
      const unknown = env.h.run(['update', '--restart', 'always', 'bystander', 'nosuch']);
      assert.equal(unknown.status, 66);
      assert.match(unknown.stderr, /no such container: nosuch\n  hint: podgen ps -a lists the containers/);
      const bad = env.h.run(['update', '--restart', 'on-failure:x', 'bystander']);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /--restart on-failure:x: restart count "x" in "on-failure:x" must be a whole number/);
      assert.equal(spawnSync('ls', [`${env.sb.unitDir}/bystander.service.d`]).status, 2, 'a drop-in was written');
    } finally {
      env.h.down('bystander');
    }
  });

  it('kill -9 of the waiting podgen-unit: systemd brings the wait back, and the container restarts on time', async function () {
    env.h.define('tough', 'sleep 3; exit 1', 'RestartPolicy=always\n');
    assert.equal(env.h.run(['up', 'tough']).status, 0);
    try {
      env.h.seedRecord('tough', 'backoff_ms', '1600');
      await until(() => env.h.record('tough')?.phase === 'waiting', 8_000, 'the 3.2 s back-off');
      const due = (env.h.record('tough')?.restartAt as number) / 1000;
      await sleep(300);
      assert.match(env.h.sb.exec(['cat', `/proc/${env.h.mainPid('tough')}/cmdline`]).stdout, /podgen-unit\x00start/);
      env.h.killMain('tough');
      await until(() => env.h.starts('tough').length === 2, 10_000, 'the restart', () => env.h.journal('tough'));
      const startedAt = Date.now() / 1000 - (uptime() - (env.h.starts('tough')[1] as number));
      assert.ok(startedAt >= due - 0.05 && startedAt <= due + TOLERANCE_S, `restarted at ${startedAt}, due at ${due}`);
      assert.equal(env.h.record('tough')?.restartCount, 1, 'the killed wait counted as a run');
    } finally {
      env.h.down('tough');
    }
  });
});
