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
import { RestartHarness, sleep, until } from '../support/restartHarness';
import { useSandbox } from '../support/sandbox';

const CHECK = 'HealthCmd=test -e /srv/ok\nHealthInterval=1s\nHealthRetries=2\n';

describe('health checks with real containers (sandbox)', function () {
  this.timeout(300_000);
  const env = useSandbox('podgen-health-');
  let h: RestartHarness;
  const health = (name: string): { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number }> } | undefined => {
    const r = h.run(['inspect', name]);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { State?: { Health?: { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number }> } } }).State?.Health;
  };
  const exec = (name: string, ...argv: string[]): void => {
    h.sb.execOk(['runc', '--root', '/run/podgen/runc', 'exec', name, '/bin/busybox', ...argv]);
  };
  const status = (name: string): string => (JSON.parse(h.run(['ps', '-a', '--json']).stdout) as Array<{ unit: string; status: string }>).find((r) => r.unit === `${name}.service`)?.status ?? '';

  before(async function () {
    h = await RestartHarness.create(env.sb, env.staging);
  });
  after(function () {
    h?.stop();
  });

  it('checks pass: healthy in inspect (with its log) and in ps; they run from NAME-health.timer', async function () {
    h.define('fine', '/bin/busybox touch /srv/ok; exec sleep 600', CHECK);
    assert.equal(h.run(['up', 'fine']).status, 0);
    try {
      await until(() => health('fine')?.Status === 'healthy', 10_000, 'healthy', () => h.journal('fine-health'));
      assert.equal(status('fine'), 'running (healthy)');
      const log = health('fine')?.Log ?? [];
      assert.ok(log.length >= 1 && log.every((l) => l.ExitCode === 0), JSON.stringify(log));
      assert.match(h.sb.execOk(['systemctl', 'list-timers', '--no-pager', 'fine-health.timer']), /fine-health\.timer\s+fine-health\.service/);
      // systemd's per-check lines stay out of the journal (LogLevelMax=notice); the verdicts are in.
      assert.doesNotMatch(h.journal('fine-health'), /Starting fine-health\.service|Finished fine-health\.service/);
      assert.match(h.journal('fine-health'), /fine\.service: healthy \(check exited 0\)/);
    } finally {
      h.down('fine');
    }
    assert.ok(!fs.existsSync(path.join(env.sb.unitDir, 'fine-health.timer')), 'down left the health timer behind');
  });

  for (const action of ['restart', 'kill', 'stop'] as const) {
    it(`HealthOnFailure=${action}: a container whose check starts failing is ${action === 'stop' ? 'stopped' : action === 'kill' ? 'killed (and its always policy restarts it)' : 'restarted'}`, async function () {
      const name = `sick-${action}`;
      h.define(name, '/bin/busybox touch /srv/ok; exec sleep 600', `${CHECK}HealthOnFailure=${action}\nRestartPolicy=${action === 'kill' ? 'always' : 'no'}\n`);
      assert.equal(h.run(['up', name]).status, 0);
      try {
        await until(() => health(name)?.Status === 'healthy', 10_000, 'healthy first');
        const pid = h.mainPid(name);
        exec(name, 'rm', '/srv/ok');
        if (action === 'stop') {
          await until(() => h.active(name) === 'inactive', 15_000, 'the stop', () => h.journal(name));
          await sleep(1000);
          assert.equal(h.active(name), 'inactive');
          assert.equal(h.starts(name).length, 1);
        } else {
          // A new container: a new main process, a second start logged, healthy again (/srv/ok is made at start).
          await until(() => h.starts(name).length === 2 && h.active(name) === 'active' && h.mainPid(name) !== pid, 15_000, `the ${action}`, () => h.journal(name));
          await until(() => health(name)?.Status === 'healthy', 10_000, 'healthy again');
          if (action === 'kill') assert.deepEqual([h.record(name)?.exitCode, h.record(name)?.restartCount], [137, 1], 'a kill is a crash for the restart policy');
        }
        assert.match(h.journal(`${name}-health`), new RegExp(`${name}\\.service: unhealthy \\(check exited 1\\)`));
      } finally {
        h.down(name);
      }
    });
  }

  it('HealthOnFailure=none: unhealthy is reported (ps, inspect) and nothing else happens; failures in the start period do not count', async function () {
    h.define('patient', 'exec sleep 600', `${CHECK}HealthStartPeriod=3s\n`);
    assert.equal(h.run(['up', 'patient']).status, 0);
    try {
      await sleep(2600); // two failed checks, inside the start period
      assert.equal(health('patient')?.Status, 'starting');
      await until(() => health('patient')?.Status === 'unhealthy', 10_000, 'unhealthy after the start period');
      assert.ok((health('patient')?.FailingStreak ?? 0) >= 2);
      assert.equal(status('patient'), 'running (unhealthy)');
      assert.equal(h.active('patient'), 'active');
      exec('patient', 'touch', '/srv/ok');
      await until(() => health('patient')?.Status === 'healthy', 5_000, 'healthy once the check passes');
    } finally {
      h.down('patient');
    }
  });

  it('Notify=healthy: the unit becomes active only when the container is first healthy', async function () {
    h.define('slow', 'sleep 3; /bin/busybox touch /srv/ok; exec sleep 600', `${CHECK}Notify=healthy\n`);
    assert.equal(h.run(['install', 'slow']).status, 0);
    try {
      const t0 = Date.now();
      h.sb.execOk(['systemctl', 'start', 'slow.service']); // returns when the start job is done: READY=1
      const took = Date.now() - t0;
      assert.ok(took >= 3000, `active after ${took} ms, before the container was healthy (3 s)`);
      assert.equal(h.active('slow'), 'active');
      assert.equal(health('slow')?.Status, 'healthy');
      // Once active, nothing of the wait stays: the unit holds the container alone.
      const cg = h.show('slow', ['ControlGroup']).ControlGroup;
      assert.equal(h.sb.execOk(['cat', `/sys/fs/cgroup${cg}/cgroup.procs`]).trim(), '', 'a waiter stayed in the unit');
    } finally {
      h.down('slow');
    }
  });

  it('podgen run --health-*: checked in the foreground (kill ends the run), and with -d by a transient timer', async function () {
    const fg = h.inside(['run', '--rm', '--name', 'hcfg', '--network', 'none', '--health-cmd', 'test -e /srv/ok', '--health-interval', '1s', '--health-retries', '1', '--health-on-failure', 'kill', h.image, '/bin/sh', '-c', '/bin/busybox touch /srv/ok; sleep 2; /bin/busybox rm /srv/ok; sleep 30']);
    assert.equal(fg.status, 137, fg.stderr);
    const bg = h.inside(['run', '-d', '--name', 'hcbg', '--network', 'none', '--health-cmd', 'test -e /srv/.keep', '--health-interval', '1s', h.image, '/bin/busybox', 'sleep', '600']);
    assert.equal(bg.status, 0, bg.stderr);
    try {
      await until(() => /status=healthy/.test(h.sb.exec(['cat', '/var/lib/podgen/state/podgen-hcbg.service.health']).stdout), 10_000, 'the -d container healthy');
      assert.match(h.sb.execOk(['systemctl', 'list-timers', '--no-pager']), /podgen-hcbg-health\.timer/);
    } finally {
      h.sb.exec(['systemctl', 'stop', 'podgen-hcbg.service']);
    }
    await until(() => !/podgen-hcbg-health/.test(h.sb.execOk(['systemctl', 'list-timers', '--all', '--no-pager'])), 5_000, 'the timer to go with the container');
  });

  it('bad health values: generate says which key, where; podgen run names the flag; nothing is written', function () {
    fs.writeFileSync(path.join(h.defs, 'badhealth.container'), `[Container]\nImage=${h.image}\nHealthCmd=true\nHealthInterval=10 seconds\nHealthTimeout=0\n`);
    const g = h.run(['generate', 'badhealth']);
    assert.equal(g.status, 65);
    assert.match(g.stderr, /badhealth\.container:4: HealthInterval=: "10 seconds" is not a duration; write it like 30s, 1m30s or 500ms/);
    fs.writeFileSync(path.join(h.defs, 'badhealth.container'), `[Container]\nImage=${h.image}\nHealthCmd=["CMD"\nHealthOnFailure=explode\n`);
    const g2 = h.run(['generate', 'badhealth']);
    assert.equal(g2.status, 65);
    assert.match(g2.stderr, /:4: HealthOnFailure=: "explode" is not one of none, kill, restart, stop/);
    fs.writeFileSync(path.join(h.defs, 'badhealth.container'), `[Container]\nImage=${h.image}\nNotify=healthy\n`);
    const g3 = h.run(['generate', 'badhealth']);
    assert.equal(g3.status, 65);
    assert.match(g3.stderr, /:3: Notify=healthy needs a health check to wait for/);
    const r = h.inside(['run', '--health-timeout', 'soon', h.image, 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--health-timeout: "soon" is not a duration/);
    const before = fs.readdirSync(env.sb.unitDir).sort();
    assert.notEqual(h.run(['up', 'badhealth']).status, 0);
    assert.deepEqual(fs.readdirSync(env.sb.unitDir).sort(), before, 'a unit was written');
  });
});
