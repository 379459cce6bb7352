// Health checks with real containers (podgen engine) under the sandbox's
// systemd: the checks run from NAME-health.timer through runc exec; what an
// unhealthy container gets (HealthOnFailure=); Notify=healthy; the health in
// ps and inspect; podgen run --health-*; bad values.
//
// The containers' check looks for /srv/ok inside the container: the test
// flips it with runc exec.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useRestartHarness, sleep, until } from '../support/restartHarness';

const CHECK = 'HealthCmd=test -e /srv/ok\nHealthInterval=1s\nHealthRetries=2\n';

describe('health checks with real containers (sandbox)', function () {
  this.timeout(300_000);
  const env = useRestartHarness('podgen-health-');
  const health = (name: string): { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number }> } | undefined => {
    const r = env.h.run(['inspect', name]);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { State?: { Health?: { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number }> } } }).State?.Health;
  };
  const exec = (name: string, ...argv: string[]): void => {
    env.h.sb.execOk(['runc', '--root', '/run/podgen/runc', 'exec', name, '/bin/busybox', ...argv]);
  };
  const status = (name: string): string => (JSON.parse(env.h.run(['ps', '-a', '--json']).stdout) as Array<{ unit: string; status: string }>).find((r) => r.unit === `${name}.service`)?.status ?? '';


  it('checks pass: healthy in inspect (with its log) and in ps; they run from NAME-health.timer', async function () {
    env.h.define('fine', '/bin/busybox touch /srv/ok; exec sleep 600', CHECK);
    assert.equal(env.h.run(['up', 'fine']).status, 0);
    try {
      await until(() => health('fine')?.Status === 'healthy', 10_000, 'healthy', () => env.h.journal('fine-health'));
      assert.equal(status('fine'), 'running (healthy)');
      const log = health('fine')?.Log ?? [];
      assert.ok(log.length >= 1 && log.every((l) => l.ExitCode === 0), JSON.stringify(log));
      assert.match(env.h.sb.execOk(['systemctl', 'list-timers', '--no-pager', 'fine-health.timer']), /fine-health\.timer\s+fine-health\.service/);
      // systemd's per-check lines stay out of the journal (LogLevelMax=notice); the verdicts are in.
      assert.doesNotMatch(env.h.journal('fine-health'), /Starting fine-health\.service|Finished fine-health\.service/);
      assert.match(env.h.journal('fine-health'), /fine\.service: healthy \(check exited 0\)/);
    } finally {
      env.h.down('fine');
    }
    assert.ok(!fs.existsSync(path.join(env.sb.unitDir, 'fine-health.timer')), 'down left the health timer behind');
  });

  for (const action of ['restart', 'kill', 'stop'] as const) {
    it(`HealthOnFailure=${action}: a container whose check starts failing is ${action === 'stop' ? 'stopped' : action === 'kill' ? 'killed (and its always policy restarts it)' : 'restarted'}`, async function () {
      const name = `sick-${action}`;
      env.h.define(name, '/bin/busybox touch /srv/ok; exec sleep 600', `${CHECK}HealthOnFailure=${action}\nRestartPolicy=${action === 'kill' ? 'always' : 'no'}\n`);
      assert.equal(env.h.run(['up', name]).status, 0);
      try {
        await until(() => health(name)?.Status === 'healthy', 10_000, 'healthy first');
        const pid = env.h.mainPid(name);
        exec(name, 'rm', '/srv/ok');
        if (action === 'stop') {
          await until(() => env.h.active(name) === 'inactive', 15_000, 'the stop', () => env.h.journal(name));
          await sleep(1000);
          assert.equal(env.h.active(name), 'inactive');
          assert.equal(env.h.starts(name).length, 1);
        } else {
          // A new container: a new main process, a second start logged, healthy again (/srv/ok is made at start).
          await until(() => env.h.starts(name).length === 2 && env.h.active(name) === 'active' && env.h.mainPid(name) !== pid, 15_000, `the ${action}`, () => env.h.journal(name));
          await until(() => health(name)?.Status === 'healthy', 10_000, 'healthy again');
          if (action === 'kill') assert.deepEqual([env.h.record(name)?.exitCode, env.h.record(name)?.restartCount], [137, 1], 'a kill is a crash for the restart policy');
        }
        assert.match(env.h.journal(`${name}-health`), new RegExp(`${name}\\.service: unhealthy \\(check exited 1\\)`));
      } finally {
        env.h.down(name);
      }
    });
  }

  it('HealthOnFailure=none: unhealthy is reported (ps, inspect) and nothing else happens; failures in the start period do not count', async function () {
    env.h.define('patient', 'exec sleep 600', `${CHECK}HealthStartPeriod=3s\n`);
    assert.equal(env.h.run(['up', 'patient']).status, 0);
    try {
      await sleep(2600); // two failed checks, inside the start period
      assert.equal(health('patient')?.Status, 'starting');
      await until(() => health('patient')?.Status === 'unhealthy', 10_000, 'unhealthy after the start period');
      assert.ok((health('patient')?.FailingStreak ?? 0) >= 2);
      assert.equal(status('patient'), 'running (unhealthy)');
      assert.equal(env.h.active('patient'), 'active');
      exec('patient', 'touch', '/srv/ok');
      await until(() => health('patient')?.Status === 'healthy', 5_000, 'healthy once the check passes');
    } finally {
      env.h.down('patient');
    }
  });

  it('a startup check (HealthStartup*) runs first until it passed often enough, then the regular check takes over; too many failures restart the container', async function () {
    // Booted after 2 s; the startup check must pass twice before the regular one counts.
    env.h.define('booting', '/bin/busybox touch /srv/ok; (sleep 2; /bin/busybox touch /srv/booted) & exec sleep 600', `${CHECK}HealthStartupCmd=test -e /srv/booted\nHealthStartupInterval=1s\nHealthStartupSuccess=2\n`);
    env.h.define('neverboots', 'exec sleep 600', `${CHECK}HealthStartupCmd=test -e /srv/booted\nHealthStartupInterval=1s\nHealthStartupRetries=2\n`);
    assert.equal(env.h.run(['up', 'booting', 'neverboots']).status, 0);
    try {
      await sleep(1800);
      assert.equal(health('booting')?.Status, 'starting', 'healthy before the startup check passed');
      await until(() => health('booting')?.Status === 'healthy', 15_000, 'healthy after the startup check', () => env.h.journal('booting-health'));
      assert.match(env.h.journal('booting-health'), /booting\.service: startup check passed; the regular health check takes over/);
      // Never booted: after 2 failed startup checks the container is restarted (a new run, logged again).
      await until(() => env.h.starts('neverboots').length >= 2, 15_000, 'the restart after the failed startup checks', () => env.h.journal('neverboots-health'));
      assert.match(env.h.journal('neverboots-health'), /startup check failed 2 times: restarting the container/);
    } finally {
      env.h.down('booting', 'neverboots');
    }
  });

  it('Notify=healthy: the unit becomes active only when the container is first healthy', async function () {
    env.h.define('slow', 'sleep 3; /bin/busybox touch /srv/ok; exec sleep 600', `${CHECK}Notify=healthy\n`);
    assert.equal(env.h.run(['install', 'slow']).status, 0);
    try {
      const t0 = Date.now();
      env.h.sb.execOk(['systemctl', 'start', 'slow.service']); // returns when the start job is done: READY=1
      const took = Date.now() - t0;
      assert.ok(took >= 3000, `active after ${took} ms, before the container was healthy (3 s)`);
      assert.equal(env.h.active('slow'), 'active');
      assert.equal(health('slow')?.Status, 'healthy');
      // Once active, nothing of the wait stays: the unit holds the container alone.
      const cg = env.h.show('slow', ['ControlGroup']).ControlGroup;
      assert.equal(env.h.sb.execOk(['cat', `/sys/fs/cgroup${cg}/cgroup.procs`]).trim(), '', 'a waiter stayed in the unit');
    } finally {
      env.h.down('slow');
    }
  });

  it('podgen run --health-*: checked in the foreground (kill ends the run), and with -d by the unit\'s NAME-health.timer', async function () {
    const fg = env.h.inside(['run', '--rm', '--name', 'hcfg', '--network', 'none', '--health-cmd', 'test -e /srv/ok', '--health-interval', '1s', '--health-retries', '1', '--health-on-failure', 'kill', env.h.image, '/bin/sh', '-c', '/bin/busybox touch /srv/ok; sleep 2; /bin/busybox rm /srv/ok; sleep 30']);
    assert.equal(fg.status, 137, fg.stderr);
    const bg = env.h.inside(['run', '-d', '--name', 'hcbg', '--network', 'none', '--health-cmd', 'test -e /srv/.keep', '--health-interval', '1s', env.h.image, '/bin/busybox', 'sleep', '600']);
    assert.equal(bg.status, 0, bg.stderr);
    try {
      await until(() => /status=healthy/.test(env.h.sb.exec(['cat', '/var/lib/podgen/state/hcbg.service.health']).stdout), 10_000, 'the -d container healthy');
      assert.match(env.h.sb.execOk(['systemctl', 'list-timers', '--no-pager']), /hcbg-health\.timer/);
    } finally {
      assert.equal(env.h.inside(['rm', '-f', 'hcbg']).status, 0);
    }
    await until(() => !/hcbg-health/.test(env.h.sb.execOk(['systemctl', 'list-timers', '--all', '--no-pager'])), 5_000, 'the timer to go with the container');
  });

  it('bad health values: generate says which key, where; podgen run names the flag; nothing is written', function () {
    fs.writeFileSync(path.join(env.h.defs, 'badhealth.container'), `[Container]\nImage=${env.h.image}\nHealthCmd=true\nHealthInterval=10 seconds\nHealthTimeout=0\n`);
    const g = env.h.run(['generate', 'badhealth']);
    assert.equal(g.status, 65);
    assert.match(g.stderr, /badhealth\.container:4: HealthInterval=: "10 seconds" is not a duration; write it like 30s, 1m30s or 500ms/);
    fs.writeFileSync(path.join(env.h.defs, 'badhealth.container'), `[Container]\nImage=${env.h.image}\nHealthCmd=["CMD"\nHealthOnFailure=explode\n`);
    const g2 = env.h.run(['generate', 'badhealth']);
    assert.equal(g2.status, 65);
    assert.match(g2.stderr, /:4: HealthOnFailure=: "explode" is not one of none, kill, restart, stop/);
    fs.writeFileSync(path.join(env.h.defs, 'badhealth.container'), `[Container]\nImage=${env.h.image}\nNotify=healthy\n`);
    const g3 = env.h.run(['generate', 'badhealth']);
    assert.equal(g3.status, 65);
    assert.match(g3.stderr, /:3: Notify=healthy needs a health check to wait for/);
    const r = env.h.inside(['run', '--health-timeout', 'soon', env.h.image, 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--health-timeout: "soon" is not a duration/);
    const before = fs.readdirSync(env.sb.unitDir).sort();
    assert.notEqual(env.h.run(['up', 'badhealth']).status, 0);
    assert.deepEqual(fs.readdirSync(env.sb.unitDir).sort(), before, 'a unit was written');
  });
});
