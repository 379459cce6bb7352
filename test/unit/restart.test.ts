import { strict as assert } from 'node:assert';
import { parseRestartPolicy } from '../../src/decode/restartPolicy';
import { restartSettings } from '../../src/plan/restart';

const settings = (value: string) => {
  const p = parseRestartPolicy(value);
  assert.ok(p.ok, value);
  return restartSettings(p.policy).map((s) => `[${s.section}] ${s.key}=${s.value}`);
};

describe('Docker restart policies -> systemd', function () {
  it('no', function () {
    assert.deepEqual(settings('no'), ['[Service] Restart=no']);
  });
  it('always: never gives up (no start-rate limit), 100 ms first backoff', function () {
    assert.deepEqual(settings('always'), ['[Unit] StartLimitIntervalSec=0', '[Service] Restart=always', '[Service] RestartSec=100ms']);
  });
  it('unless-stopped: like always, but a manual stop marker keeps it down', function () {
    assert.deepEqual(settings('unless-stopped'), [
      '[Unit] StartLimitIntervalSec=0',
      '[Unit] ConditionPathExists=!%S/podgen/stopped/%n',
      '[Service] Restart=always',
      '[Service] RestartSec=100ms',
    ]);
  });
  it('on-failure:N allows N restarts (N+1 starts) until reset', function () {
    assert.deepEqual(settings('on-failure:5'), [
      '[Unit] StartLimitIntervalSec=infinity',
      '[Unit] StartLimitBurst=6',
      '[Service] Restart=on-failure',
      '[Service] RestartSec=100ms',
    ]);
  });
  it('on-failure and on-failure:0 are unlimited, as in Docker', function () {
    assert.deepEqual(settings('on-failure'), settings('on-failure:0'));
    assert.ok(settings('on-failure').includes('[Unit] StartLimitIntervalSec=0'));
  });
  it('rejects other spellings with the list of valid ones', function () {
    for (const bad of ['sometimes', 'on-failure:-1', 'on-failure:x', 'ALWAYS', 'on-failure:']) {
      const p = parseRestartPolicy(bad);
      assert.equal(p.ok, false, bad);
    }
    const p = parseRestartPolicy('sometimes');
    assert.ok(!p.ok && /use no, always, on-failure, on-failure:N \(N >= 0\) or unless-stopped/.test(p.message));
  });
});
