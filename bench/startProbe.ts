// One start measured from inside the sandbox, as whoever runs it (root: the system manager; a
// user: their own manager over their session bus): StartUnit over D-Bus, then an HTTP GET every
// 2 ms until one is answered; prints the milliseconds, then stops the unit (systemctl, which
// waits for the job). bench/rootless.ts runs it for each unit, round by round. An HTTP answer,
// not a TCP connect: pasta and podman's rootlessport accept connections on the host port before
// the container listens, so a connect would time the proxy, not the container.
//
//   node startProbe.js system|session UNIT PORT

import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { openBus } from '../src/manage/bus';

function httpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function untilServing(port: number, t0: bigint, explain: () => string): Promise<number> {
  while (!(await httpAnswers(port))) {
    if (Number(process.hrtime.bigint() - t0) > 90e9) throw new Error(`no HTTP answer within 90 s: ${explain()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const [kind, unit, port] = process.argv.slice(2) as ['system' | 'session', string, string];
  const M = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'] as const;
  const bus = await openBus(kind, (b) => b.call(...M, 'GetDefaultTarget', '', []), (e) => e as Error);
  const scope = kind === 'session' ? ['--user'] : [];
  try {
    // Loaded before the clock starts (an unloaded unit would pay for reading its files).
    await bus.call(...M, 'LoadUnit', 's', [unit]);
    const t0 = process.hrtime.bigint();
    await bus.call(...M, 'StartUnit', 'ss', [unit, 'replace']);
    const ms = await untilServing(Number(port), t0, () => spawnSync('systemctl', [...scope, 'status', '--no-pager', unit], { encoding: 'utf8' }).stdout);
    process.stdout.write(`${ms}\n`);
  } finally {
    spawnSync('systemctl', [...scope, 'stop', unit]);
    bus.disconnect();
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
