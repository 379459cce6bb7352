import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openBus } from '../src/manage/bus';
import { freePort } from '../test/support/ports';
import { TestRegistry } from '../test/support/registry';
import { Sandbox } from '../test/support/sandbox';
import { bareRuncUnit, busyboxEverywhere, median, PODGEN, pinUnits, untilAnswering } from './support';

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  try {
    const { image, rootfs } = await busyboxEverywhere(reg, sb);
    const defs = fs.mkdtempSync('/var/tmp/podgen-ab-');
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sb.busSocket}`, PODGEN_UNIT_DIR: sb.unitDir, QUADLET_UNIT_DIRS: defs };
    const ports: Record<string, number> = { full: await freePort(), norecord: await freePort(), oldstart: await freePort(), bare: await freePort() };
    for (const n of ['full', 'norecord', 'oldstart']) fs.writeFileSync(path.join(defs, `${n}.container`), `[Container]\nImage=${image}\nExec=/bin/busybox httpd -f -p 127.0.0.1:${ports[n]}\nNetwork=host\nStopTimeout=1\n`);
    spawnSync(process.execPath, [PODGEN, 'pull', '-q', image], { env: { ...env, PODGEN_STORE: path.join(sb.root, 'var/lib/podgen') } });
    const r = spawnSync(process.execPath, [PODGEN, 'install', 'full', 'norecord', 'oldstart'], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const edit = (u: string, f: (t: string) => string) => fs.writeFileSync(path.join(sb.unitDir, u), f(fs.readFileSync(path.join(sb.unitDir, u), 'utf8')));
    fs.copyFileSync('/tmp/podgen-start-old', path.join(sb.root, 'var/tmp/podgen-start-old'));
    fs.chmodSync(path.join(sb.root, 'var/tmp/podgen-start-old'), 0o755);
    edit('oldstart.service', (t) => t.replace(/exec \S+podgen-unit start --record '%S\/podgen\/state\/%n' /, 'exec /var/tmp/podgen-start-old '));
    edit('norecord.service', (t) => t.replace(/ --record '%S\/podgen\/state\/%n'/, ''));
    sb.execOk(['systemctl', 'daemon-reload']);
    bareRuncUnit(sb, { from: 'full', rootfs, unit: 'bare', port: ports.bare as number, unitSection: '', service: '' });
    const M = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'] as const;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = env.DBUS_SYSTEM_BUS_ADDRESS;
    const bus = await openBus('system', (b) => b.call(...M, 'GetDefaultTarget', '', []), (e) => e as Error);
    const results: Record<string, number[]> = { full: [], norecord: [], oldstart: [], bare: [] };
    await pinUnits(bus, Object.keys(results).map((u) => `${u}.service`));
    for (let i = 0; i < 31; i++) {
      for (const u of Object.keys(results).sort(() => Math.random() - 0.5)) {
        await new Promise((res) => setTimeout(res, 300));
        const t0 = process.hrtime.bigint();
        await bus.call(...M, 'StartUnit', 'ss', [`${u}.service`, 'replace']);
        const ms = await untilAnswering(ports[u] as number, t0, u, () => '');
        if (i > 0) results[u]?.push(ms);
        sb.exec(['systemctl', 'stop', `${u}.service`]);
      }
    }
    console.log(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v).toFixed(1)])));
    bus.disconnect();
  } finally {
    sb.halt();
    reg.stop();
  }
}
void main();
