// npm run bench (runtime): in the nspawn sandbox's real systemd, the time
// from the StartUnit call (D-Bus) to the container's port answering, median of 20, for
//   - a podgen-engine unit, restarted (sh exec'ing runc create, ExecStartPost letting it run),
//   - a unit whose ExecStart is bare `runc run` of a bundle like podgen's,
//   - the podman unit Quadlet writes (podman 4.3, vfs, runc),
// all busybox httpd on the host network; and the resident memory each adds
// per running container besides the container's own processes.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openBus, type RawBus } from '../src/manage/bus';
import { freePort } from '../test/support/ports';
import { TestRegistry } from '../test/support/registry';
import { Sandbox } from '../test/support/sandbox';
import { bareRuncUnit, busyboxEverywhere, pinUnits, median, overheadKiB, PODGEN, PODMAN_IMAGE, PODMAN_KEYS, untilAnswering } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  const scratch: string[] = [];
  let bus: RawBus | undefined;
  try {
    const { image, rootfs } = await busyboxEverywhere(reg, sb);
    const defs = fs.mkdtempSync('/var/tmp/podgen-bench-rt-');
    scratch.push(defs);
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sb.busSocket}`, PODGEN_UNIT_DIR: sb.unitDir, QUADLET_UNIT_DIRS: defs };
    const [pPodgen, pBare, pPodman] = [await freePort(), await freePort(), await freePort()];
    const httpd = (port: number): string => `Exec=/bin/busybox httpd -f -p 127.0.0.1:${port}\nNetwork=host\nStopTimeout=1\n`;
    fs.writeFileSync(path.join(defs, 'pgweb.container'), `[Container]\nImage=${image}\n${httpd(pPodgen)}`);

    fs.writeFileSync(
      path.join(defs, 'pmweb.container'),
      `[Container]\nImage=${PODMAN_IMAGE}\n${PODMAN_KEYS}${httpd(pPodman)}`,
    );
    // The image goes into the sandbox's store from out here, as `podgen up` does, so no start pays for the pull.
    const pulled = spawnSync(process.execPath, [PODGEN, 'pull', '-q', image], { env: { ...env, PODGEN_STORE: path.join(sb.root, 'var/lib/podgen') }, encoding: 'utf8' });
    if (pulled.status !== 0) throw new Error(`pull: ${pulled.stderr}`);
    for (const [name, engine] of [['pgweb', 'podgen'], ['pmweb', 'podman']]) {
      const r = spawnSync(process.execPath, [PODGEN, 'install', '--engine', engine as string, name as string], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`install ${name}: ${r.stderr}`);
    }

    // The bare reference: podgen's own config.json, on a plain rootfs, run by `runc run` as the whole unit.
    bareRuncUnit(sb, { from: 'pgweb', rootfs, unit: 'bare', port: pBare, unitSection: '', service: '' });

    // StartUnit itself, over the sandbox's bus: the clock starts at the call, not at a systemctl
    // process starting up (which took ~20 ms here and would dilute every ratio).
    process.env.DBUS_SYSTEM_BUS_ADDRESS = env.DBUS_SYSTEM_BUS_ADDRESS;
    const M = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'] as const;
    const startBus = await openBus('system', (b) => b.call(...M, 'GetDefaultTarget', '', []), (e) => e as Error);
    bus = startBus;
    await pinUnits(startBus, ['pgweb.service', 'bare.service', 'pmweb.service']);
    const timeStart = async (unit: string, port: number): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await startBus.call(...M, 'StartUnit', 'ss', [unit, 'replace']);
      return untilAnswering(port, t0, unit, () => sb.exec(['systemctl', 'status', '--no-pager', unit]).stdout);
    };
    const stop = (unit: string): void => {
      sb.exec(['systemctl', 'stop', unit]);
    };
    const results: Record<string, number[]> = { pgweb: [], bare: [], pmweb: [] };
    const ports: Record<string, number> = { pgweb: pPodgen, bare: pBare, pmweb: pPodman };
    // Warm-up (page cache, podman's first-run work), then interleaved rounds so drift hits all three alike.
    // (Memory is read in round 0, whatever the order.)
    for (const unit of Object.keys(results)) {
      await timeStart(`${unit}.service`, ports[unit] as number);
      stop(`${unit}.service`);
    }
    let memory: Record<string, { kib: number; processes: string[] }> = {};
    for (let i = 0; i < ROUNDS; i++) {
      // A different order each round and a quiet moment before each start: a stop's leftovers
      // (podman's own clean-up processes, journald catching up) must not land on the next unit.
      const order = Object.keys(results).sort(() => Math.random() - 0.5);
      for (const unit of order) {
        await new Promise((r) => setTimeout(r, 300));
        results[unit]?.push(await timeStart(`${unit}.service`, ports[unit] as number));
        if (i === 0) memory = { ...memory, [unit]: overheadKiB(sb, `${unit}.service`, 'busybox') };
        stop(`${unit}.service`);
      }
    }
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const pg = m.pgweb as number;
    const br = m.bare as number;
    const pm = m.pmweb as number;
    const conmon = memory.pmweb?.processes.filter((p) => p.startsWith('conmon')).reduce((s, p) => s + Number(p.split(' ')[1]), 0) ?? 0;
    console.log(
      [
        `bench/runtime: StartUnit -> port answering, median of ${ROUNDS}, busybox httpd, host network, sandbox systemd 252`,
        `  podgen unit (restart: runc create + start): ${pg.toFixed(1)} ms; bare runc run unit: ${br.toFixed(1)} ms; podman 4.3 Quadlet-style unit (vfs, runc): ${pm.toFixed(1)} ms`,
        `  podgen / bare runc = ${(pg / br).toFixed(2)}x [target <= 1.15x: ${pg / br <= 1.15 ? 'met' : 'MISSED'}]; podman / podgen = ${(pm / pg).toFixed(2)}x [target >= 2x: ${pm / pg >= 2 ? 'met' : 'MISSED'}]`,
        `  resident memory besides the container: podgen ${memory.pgweb?.kib ?? 0} KiB (${memory.pgweb?.processes.join(', ') || 'no process'}); podman ${memory.pmweb?.kib ?? 0} KiB (${memory.pmweb?.processes.join(', ')}) [target: below conmon's ${conmon} KiB: ${(memory.pgweb?.kib ?? 0) < conmon ? 'met' : 'MISSED'}]`,
      ].join('\n'),
    );
    console.log(JSON.stringify({ bench: 'runtime', rounds: ROUNDS, medianMs: m, memoryKiB: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, v.kib])) }));
  } finally {
    bus?.disconnect();
    sb.halt();
    reg.stop();
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
  }
}

void main();
