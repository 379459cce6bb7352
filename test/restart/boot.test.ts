// The restart policies across a reboot (the sandbox's systemd halted and booted
// again): what comes back at boot, as Docker's rules (and the reading of
// its documentation) say. One reboot for every policy and last state at once.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useRestartHarness, sleep, until } from '../support/restartHarness';

interface Case {
  readonly name: string;
  readonly policy: string;
  readonly script: string;
  /** How the container is left before the reboot. */
  readonly before: 'running' | 'stopped by hand' | 'exited 0' | 'gave up' | 'waiting to restart';
  readonly comesBack: boolean;
  readonly install?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'us-running', policy: 'unless-stopped', script: 'exec sleep 600', before: 'running', comesBack: true },
  { name: 'us-stopped', policy: 'unless-stopped', script: 'exec sleep 600', before: 'stopped by hand', comesBack: false },
  { name: 'us-waiting', policy: 'unless-stopped', script: 'sleep 3; exit 1', before: 'waiting to restart', comesBack: true },
  { name: 'al-running', policy: 'always', script: 'exec sleep 600', before: 'running', comesBack: true },
  { name: 'al-stopped', policy: 'always', script: 'exec sleep 600', before: 'stopped by hand', comesBack: true },
  { name: 'of-running', policy: 'on-failure', script: 'exec sleep 600', before: 'running', comesBack: true },
  { name: 'of-clean', policy: 'on-failure', script: 'sleep 2; exit 0', before: 'exited 0', comesBack: false },
  { name: 'of-stopped', policy: 'on-failure', script: 'exec sleep 600', before: 'stopped by hand', comesBack: false },
  { name: 'of-gaveup', policy: 'on-failure:1', script: 'sleep 2; exit 1', before: 'gave up', comesBack: true },
  { name: 'of-waiting', policy: 'on-failure', script: 'sleep 3; exit 1', before: 'waiting to restart', comesBack: true },
  // policy no: the definition's own [Install] decides (a plain Quadlet unit), with no [Install] nothing starts it.
  { name: 'no-installed', policy: 'no', script: 'exec sleep 600', before: 'running', comesBack: true, install: true },
  { name: 'no-plain', policy: 'no', script: 'exec sleep 600', before: 'running', comesBack: false },
];

describe('restart policies across a reboot (sandbox systemd halted and booted again)', function () {
  this.timeout(600_000);
  const env = useRestartHarness('podgen-restart-boot-');

  after(function () {
    env.h.down(...CASES.map((c) => c.name));
  });

  it('each policy comes back, or stays down, as Docker\'s rules say', async function () {
    for (const c of CASES) env.h.define(c.name, c.script, `RestartPolicy=${c.policy}\n`, c.install ? '\n[Install]\nWantedBy=multi-user.target\n' : '');
    const installed = env.h.run(['install', ...CASES.map((c) => c.name)]);
    assert.equal(installed.status, 0, installed.stderr);
    for (const c of CASES) env.h.sb.execOk(['systemctl', 'start', '--no-block', `${c.name}.service`]);
    await until(() => CASES.every((c) => env.h.starts(c.name).length >= 1), 60_000, 'every container to start');
    await sleep(1500);
    for (const c of CASES.filter((x) => x.before === 'stopped by hand')) env.h.sb.execOk(['systemctl', 'stop', `${c.name}.service`]);
    for (const c of CASES.filter((x) => x.before === 'waiting to restart')) env.h.seedRecord(c.name, 'backoff_ms', '25600'); // the next wait: 51.2 s
    const settled = (c: Case): boolean => {
      const phase = env.h.record(c.name)?.phase;
      switch (c.before) {
        case 'running':
          return phase === 'running';
        case 'stopped by hand':
          return phase === 'stopped';
        case 'exited 0':
          return phase === 'exited';
        case 'gave up':
          return phase === 'gave-up';
        case 'waiting to restart':
          return phase === 'waiting';
      }
    };
    await until(() => CASES.every(settled), 30_000, 'every container in its state before the reboot', () => CASES.map((c) => `${c.name}: ${env.h.record(c.name)?.phase}`).join('\n'));
    const startsBefore = Object.fromEntries(CASES.map((c) => [c.name, env.h.starts(c.name).length]));

    env.sb.reboot();
    await until(() => CASES.filter((c) => c.comesBack).every((c) => env.h.starts(c.name).length > (startsBefore[c.name] as number)), 60_000, 'the containers that come back', () =>
      CASES.map((c) => `${c.name}: ${env.h.starts(c.name).length - (startsBefore[c.name] as number)} new starts, ${env.h.active(c.name)}`).join('\n'),
    );
    await sleep(2000); // anything that should stay down has had its chance to start by now
    const verdicts = CASES.map((c) => `${c.name} (${c.policy}, ${c.before}): ${env.h.starts(c.name).length > (startsBefore[c.name] as number) ? 'came back' : 'stayed down'}`);
    const expected = CASES.map((c) => `${c.name} (${c.policy}, ${c.before}): ${c.comesBack ? 'came back' : 'stayed down'}`);
    assert.deepEqual(verdicts, expected);
    // Those kept down by the policy say why, and a start by hand still works.
    assert.match(env.h.journal('us-stopped'), /not started at boot: RestartPolicy=unless-stopped and the container was stopped by hand/);
    assert.equal(env.h.active('us-stopped'), 'inactive');
    const start = env.h.run(['start', 'us-stopped']);
    assert.equal(start.status, 0, start.stderr + start.stdout);
    assert.equal(env.h.active('us-stopped'), 'active');
    // A restart policy implies coming back at boot: the definition had no [Install], podgen made it wanted.
    assert.ok(fs.lstatSync(path.join(env.sb.unitDir, 'multi-user.target.wants', 'al-running.service')).isSymbolicLink());
  });
});
