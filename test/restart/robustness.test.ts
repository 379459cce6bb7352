// The restart manager under stress: kill -9 of the Node processes a restart
// runs through (a bridged container's cleanup and prepare), and 50 containers
// crash-looping at once, whose waits cost no CPU.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { useRestartHarness, pids, sleep, until } from '../support/restartHarness';

/** CPU ticks (utime + stime) a process has used, read from the host's /proc; undefined when gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

describe('restart manager under stress (sandbox)', function () {
  this.timeout(600_000);
  const env = useRestartHarness('podgen-restart-stress-');


  for (const step of ['cleanup', 'prepare'] as const) {
    it(`kill -9 of podgen ${step} in a bridged container's restart: the policy goes on`, async function () {
      const name = `kill-${step}`;
      // Bridged (the default network): every stop and start runs Node's cleanup and prepare.
      env.h.define(name, 'sleep 2; exit 1', 'RestartPolicy=always\n');
      const def = `${env.h.defs}/${name}.container`;
      fs.writeFileSync(def, fs.readFileSync(def, 'utf8').replace('Network=none\n', ''));
      assert.equal(env.h.run(['install', name]).status, 0);
      env.h.sb.execOk(['systemctl', 'start', '--no-block', `${name}.service`]);
      try {
        await until(() => env.h.starts(name).length >= 1, 30_000, 'the first start', () => env.h.journal(name));
        const pattern = `entry\\.js ${step} .*--name ${name}`;
        let killed = 0;
        for (let round = 0; round < 3; round++) {
          let victims: number[] = [];
          await until(() => (victims = pids(pattern)).length > 0, 30_000, `podgen ${step} to run`, () => env.h.journal(name));
          for (const pid of victims) process.kill(pid, 'SIGKILL');
          killed += victims.length;
          await sleep(200);
        }
        assert.ok(killed >= 3);
        // Whatever was killed, the container keeps coming back on its policy.
        const before = env.h.starts(name).length;
        await until(() => env.h.starts(name).length >= before + 2, 60_000, 'two more runs after the kills', () => env.h.journal(name));
        const r = env.h.record(name);
        assert.ok(r && r.policy === 'always' && r.restartCount >= 2, JSON.stringify(r));
      } finally {
        env.h.down(name);
      }
      // Nothing of a killed cleanup or prepare is left over by the next ones (and down).
      assert.equal(env.h.sb.exec(['sh', '-c', `grep -c " /var/lib/podgen/containers/${name}/rootfs " /proc/self/mountinfo`]).stdout.trim(), '0');
      assert.equal(env.h.sb.exec(['ip', 'netns', 'list']).stdout.includes(`podgen-${name}`), false);
    });
  }

  it('50 containers crash-looping at once keep their back-off schedules, and their waits use no CPU', async function () {
    const names = Array.from({ length: 50 }, (_, i) => `many${i}`);
    for (const n of names) env.h.define(n, 'exit 1', 'RestartPolicy=always\n');
    assert.equal(env.h.run(['install', ...names]).status, 0);
    try {
      for (const n of names) env.h.sb.execOk(['systemctl', 'start', '--no-block', `${n}.service`]);
      // 100+200+...+3200 ms = 6.3 s of back-off to the 7th start; 50 starts at once take their time here.
      await until(() => names.every((n) => env.h.starts(n).length >= 7), 120_000, 'every container at its 7th start', () =>
        names.map((n) => `${n}: ${env.h.starts(n).length}`).join(', '),
      );
      for (const n of names) {
        const s = env.h.starts(n).slice(0, 7);
        const gaps = s.slice(1).map((x, i) => x - (s[i] as number));
        gaps.forEach((g, i) => {
          const want = 0.1 * 2 ** i;
          // Never early; late by the time 50 restarts at once take on two cores (runc create each).
          assert.ok(g >= want - 0.01 && g <= want + 3, `${n}: interval ${i + 1} is ${g.toFixed(2)} s, expected ${want} s: ${gaps.map((x) => x.toFixed(2)).join(', ')}`);
        });
      }
      // Now each waits 6.4 s or more: what podgen holds meanwhile is one sleeping podgen-unit per container.
      await until(() => names.every((n) => (env.h.record(n)?.backoffMs ?? 0) >= 6400 && env.h.record(n)?.phase === 'waiting'), 30_000, 'every container in a long back-off');
      const waiters = pids('podgen-unit start --record /var/lib/podgen/state/many');
      assert.ok(waiters.length >= 40, `only ${waiters.length} waiting podgen-unit processes`);
      const t0 = new Map(waiters.map((p) => [p, cpuTicks(p)]));
      await sleep(2000);
      let used = 0;
      let measured = 0;
      for (const [pid, ticks] of t0) {
        const now = cpuTicks(pid);
        if (now === undefined || ticks === undefined) continue; // its wait ended meanwhile
        used += now - ticks;
        measured++;
      }
      assert.ok(measured >= 30, `only ${measured} waiters lasted the 2 s`);
      assert.equal(used, 0, `${measured} waiting podgen-unit processes used ${used} CPU ticks in 2 s`);
    } finally {
      env.h.down(...names);
    }
  });
});
