// npm run bench (restart): in the nspawn sandbox's real systemd, the time from a crash
// (kill -9 of the container's PID 1) to the container's port answering again, median of 20, for
//   - a podgen-engine unit with RestartPolicy=always,
//   - a unit whose ExecStart is bare `runc run` with Restart=always RestartSec=100ms,
//   - the podman unit Quadlet writes (podman 4.3, vfs, runc) with RestartPolicy=always,
// all busybox httpd on the host network; each crash comes after a manual restart, so every
// policy is at its first back-off step (100 ms). Then the resident memory a podgen container
// holds besides its own processes, while it runs and while it waits to restart (a 3.2 s back-off).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../test/support/ports';
import { TestRegistry } from '../test/support/registry';
import { Sandbox } from '../test/support/sandbox';
import { answers, bareRuncUnit, busyboxEverywhere, median, overheadKiB, PODGEN, PODMAN_IMAGE, PODMAN_KEYS, untilAnswering } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

/** Host PIDs of busybox httpd serving PORT (the container's PID 1). */
function httpdPid(port: number): number | undefined {
  const r = spawnSync('pgrep', ['-f', `^/bin/busybox httpd -f -p 127.0.0.1:${port}$`], { encoding: 'utf8' });
  const pids = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  return pids.length === 1 ? pids[0] : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  const scratch: string[] = [];
  try {
    const { image, rootfs } = await busyboxEverywhere(reg, sb);
    const defs = fs.mkdtempSync('/var/tmp/podgen-bench-restart-');
    scratch.push(defs);
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sb.busSocket}`, PODGEN_UNIT_DIR: sb.unitDir, QUADLET_UNIT_DIRS: defs };
    const ports: Record<string, number> = { pgcrash: await freePort(), barecrash: await freePort(), pmcrash: await freePort() };
    const httpd = (port: number): string => `Exec=/bin/busybox httpd -f -p 127.0.0.1:${port}\nNetwork=host\nStopTimeout=1\nRestartPolicy=always\n`;
    fs.writeFileSync(path.join(defs, 'pgcrash.container'), `[Container]\nImage=${image}\n${httpd(ports.pgcrash as number)}`);
    fs.writeFileSync(path.join(defs, 'pmcrash.container'), `[Container]\nImage=${PODMAN_IMAGE}\n${PODMAN_KEYS}${httpd(ports.pmcrash as number)}`);
    const pulled = spawnSync(process.execPath, [PODGEN, 'pull', '-q', image], { env: { ...env, PODGEN_STORE: path.join(sb.root, 'var/lib/podgen') }, encoding: 'utf8' });
    if (pulled.status !== 0) throw new Error(`pull: ${pulled.stderr}`);
    for (const [name, engine] of [['pgcrash', 'podgen'], ['pmcrash', 'podman']]) {
      const r = spawnSync(process.execPath, [PODGEN, 'install', '--engine', engine as string, name as string], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`install ${name}: ${r.stderr}`);
    }
    // Restarting forever, as podgen's always: systemd's start-rate limit (5 in 10 s) must not stop it.
    bareRuncUnit(sb, { from: 'pgcrash', rootfs, unit: 'barecrash', port: ports.barecrash as number, unitSection: 'StartLimitIntervalSec=0\n', service: 'Restart=always\nRestartSec=100ms\n' });

    const status = (unit: string) => (): string => sb.exec(['systemctl', 'status', '--no-pager', '-n', '20', `${unit}.service`]).stdout;
    /** A manual restart (every policy back at its first back-off step), then the port answering and a quiet moment. */
    const fresh = async (unit: string): Promise<void> => {
      sb.execOk(['systemctl', 'restart', `${unit}.service`]);
      await untilAnswering(ports[unit] as number, process.hrtime.bigint(), unit, status(unit));
      await sleep(300);
    };
    const crash = async (unit: string): Promise<number> => {
      const port = ports[unit] as number;
      const pid = httpdPid(port);
      if (pid === undefined) throw new Error(`no single httpd for ${unit}: ${status(unit)()}`);
      const t0 = process.hrtime.bigint();
      process.kill(pid, 'SIGKILL');
      while (await answers(port)) await sleep(1); // the kernel closes the listening socket as the process dies
      return untilAnswering(port, t0, unit, status(unit));
    };

    const results: Record<string, number[]> = { pgcrash: [], barecrash: [], pmcrash: [] };
    for (const unit of Object.keys(results)) {
      await fresh(unit); // warm-up
      await crash(unit);
    }
    const running = overheadKiB(sb, 'pgcrash.service', 'busybox');
    for (let i = 0; i < ROUNDS; i++) {
      const order = Object.keys(results).sort(() => Math.random() - 0.5);
      for (const unit of order) {
        await fresh(unit);
        results[unit]?.push(await crash(unit));
      }
    }

    // Waiting to restart: crash at once after each restart (100, 200, 400, 800, 1600 ms back-offs), and look
    // during the sixth wait (3.2 s) at what the unit holds.
    await fresh('pgcrash');
    for (let k = 0; k < 5; k++) await crash('pgcrash');
    const pid = httpdPid(ports.pgcrash as number);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await sleep(1500);
    const waitingState = sb.execOk(['systemctl', 'show', '-p', 'ActiveState,SubState', '--value', 'pgcrash.service']).trim().split('\n').join('/');
    const waiting = overheadKiB(sb, 'pgcrash.service', 'busybox');

    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const pg = m.pgcrash as number;
    const br = m.barecrash as number;
    const pm = m.pmcrash as number;
    console.log(
      [
        `bench/restart: kill -9 of the container's PID 1 -> port answering again, median of ${ROUNDS}, busybox httpd, host network, sandbox systemd 252`,
        `  podgen RestartPolicy=always: ${pg.toFixed(1)} ms; bare runc run unit, Restart=always RestartSec=100ms: ${br.toFixed(1)} ms; podman 4.3 unit (vfs, runc), RestartPolicy=always: ${pm.toFixed(1)} ms`,
        `  podgen - bare runc = ${(pg - br).toFixed(1)} ms [target <= 20 ms: ${pg - br <= 20 ? 'met' : 'MISSED'}]; podman / podgen = ${(pm / pg).toFixed(2)}x [target >= 2x: ${pm / pg >= 2 ? 'met' : 'MISSED'}]`,
        `  resident memory besides the container: running ${running.kib} KiB (${running.processes.join(', ') || 'no process'}); waiting to restart (${waitingState}) ${waiting.kib} KiB, ${waiting.privateKib} KiB of it private (${waiting.processes.join(', ') || 'no process'})`,
      ].join('\n'),
    );
    console.log(JSON.stringify({ bench: 'restart', rounds: ROUNDS, medianMs: m, samplesMs: results, memoryKiB: { running: running.kib, waiting: waiting.kib, waitingPrivate: waiting.privateKib } }));
  } finally {
    sb.halt();
    reg.stop();
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
  }
}

void main();
