import { strict as assert } from 'node:assert';
import { parseRestartPolicy } from '../../src/restart/policy';
import { managedSettings, needsGate, staticSettings, type Setting } from '../../src/restart/unitSettings';

const policy = (value: string) => {
  const p = parseRestartPolicy(value);
  assert.ok(p.ok, value);
  return p.policy;
};
const lines = (settings: Setting[]) => settings.map((s) => `[${s.section}] ${s.key}=${s.value}`);

describe('Docker restart policies -> systemd, with the restart manager (podgen-unit)', function () {
  it('no (also when none is given): systemd never restarts; the hooks still record and stop gracefully', function () {
    assert.deepEqual(lines(managedSettings(policy('no'))), ['[Service] Environment=PODGEN_RESTART_POLICY=no', '[Service] Restart=no']);
    assert.deepEqual(lines(managedSettings(undefined)), lines(managedSettings(policy('no'))));
  });
  it('always and unless-stopped: systemd restarts at once (the back-off is waited out by the next start), never gives up', function () {
    for (const p of ['always', 'unless-stopped']) {
      assert.deepEqual(lines(managedSettings(policy(p))), [`[Service] Environment=PODGEN_RESTART_POLICY=${p}`, '[Unit] StartLimitIntervalSec=0', '[Service] RestartSec=0', '[Service] Restart=always']);
    }
  });
  it('on-failure:N: systemd restarts failures; the limit is the manager\'s, not a start-rate limit', function () {
    assert.deepEqual(lines(managedSettings(policy('on-failure:5'))), ['[Service] Environment=PODGEN_RESTART_POLICY=on-failure:5', '[Unit] StartLimitIntervalSec=0', '[Service] RestartSec=0', '[Service] Restart=on-failure']);
    assert.ok(lines(managedSettings(policy('on-failure:0'))).includes('[Service] Environment=PODGEN_RESTART_POLICY=on-failure'));
  });
  it('a plain [Service] Restart= is systemd\'s: the hooks are told so and touch nothing else', function () {
    assert.deepEqual(lines(managedSettings({ kind: 'systemd', restart: 'on-abort' })), ['[Service] Environment=PODGEN_RESTART_POLICY=systemd']);
  });
  it('only unless-stopped and on-failure can stay down at boot, so only they get the gate', function () {
    assert.deepEqual(['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:3'].map((p) => needsGate(policy(p))), [false, false, true, true, true]);
    assert.equal(needsGate(undefined), false);
  });
});

describe('Docker restart policies -> systemd, static (no C compiler)', function () {
  it('no', function () {
    assert.deepEqual(lines(staticSettings(policy('no'))), ['[Service] Restart=no']);
  });
  it('always and unless-stopped: never give up (no start-rate limit), 100 ms delay', function () {
    for (const p of ['always', 'unless-stopped']) {
      assert.deepEqual(lines(staticSettings(policy(p))), ['[Unit] StartLimitIntervalSec=0', '[Service] Restart=always', '[Service] RestartSec=100ms']);
    }
  });
  it('on-failure:N allows N restarts (N+1 starts) until reset', function () {
    assert.deepEqual(lines(staticSettings(policy('on-failure:5'))), ['[Unit] StartLimitIntervalSec=infinity', '[Unit] StartLimitBurst=6', '[Service] Restart=on-failure', '[Service] RestartSec=100ms']);
  });
  it('on-failure and on-failure:0 are unlimited, as in Docker', function () {
    assert.deepEqual(staticSettings(policy('on-failure')), staticSettings(policy('on-failure:0')));
    assert.ok(lines(staticSettings(policy('on-failure'))).includes('[Unit] StartLimitIntervalSec=0'));
  });
});

describe('RestartPolicy= spellings', function () {
  it('rejects other spellings with the list of valid ones', function () {
    for (const bad of ['sometimes', 'on-failure:-1', 'on-failure:x', 'ALWAYS', 'on-failure:']) {
      const p = parseRestartPolicy(bad);
      assert.equal(p.ok, false, bad);
    }
    const p = parseRestartPolicy('sometimes');
    assert.ok(!p.ok && /use no, always, on-failure, on-failure:N \(N >= 0\) or unless-stopped/.test(p.message));
  });
});
