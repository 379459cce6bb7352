// npm run bench (rootless): in the nspawn sandbox's real systemd, StartUnit -> published port
// answering (127.0.0.1), median of BENCH_ROUNDS (default 15), busybox httpd, for
//   - a rootful podgen-engine unit (bridge network, CNI portmap),
//   - the same container as a rootless podgen unit of an ordinary user (user namespace through
//     newuidmap, overlay mounted in it, pasta),
//   - a rootless podman 4.3 unit of the same user (Quadlet-style, vfs, runc, slirp4netns and
//     rootlessport, podman 4.3's defaults).
// Each start is timed inside the sandbox by bench/startProbe.ts, as root or as the user, over
// the manager's own bus; rounds interleave the three in a random order.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../test/support/ports';
import { TestRegistry } from '../test/support/registry';
import { Sandbox } from '../test/support/sandbox';
import { busyboxEverywhere, median, PODGEN, PODMAN_IMAGE, PODMAN_KEYS, REPO } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const USER = { name: 'pgbench', uid: 1650 };
const PROBE = path.join(REPO, 'build', 'bench', 'startProbe.js');

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  try {
    const { image } = await busyboxEverywhere(reg, sb);
    const home = `/home/${USER.name}`;
    const userEnv = ['env', '-i', `HOME=${home}`, `USER=${USER.name}`, `XDG_RUNTIME_DIR=/run/user/${USER.uid}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${USER.uid}/bus`, 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
    const asUser = (argv: readonly string[]) => sb.exec(['setpriv', `--reuid=${USER.uid}`, `--regid=${USER.uid}`, '--init-groups', ...userEnv, ...argv]);
    const okUser = (argv: readonly string[]): string => {
      const r = asUser(argv);
      if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    // The user, as rootless.test.ts sets one up: subordinate ids (useradd), a tmpfs for writable
    // layers (the sandbox's root is an overlay), /dev/net/tun as Debian's udev leaves it, lingering.
    sb.execOk(['useradd', '--create-home', '--uid', String(USER.uid), '--user-group', USER.name]);
    for (let d = path.dirname(REPO); d !== '/'; d = path.dirname(d)) sb.execOk(['chmod', 'o+x', d]);
    sb.execOk(['chmod', '0666', '/dev/net/tun']);
    const containers = `${home}/.local/share/podgen/containers`;
    sb.execOk(['install', '-d', '-o', USER.name, '-g', USER.name, `${home}/.local`, `${home}/.local/share`, `${home}/.local/share/podgen`, containers]);
    sb.execOk(['mount', '-t', 'tmpfs', '-o', `mode=0700,uid=${USER.uid},gid=${USER.uid}`, 'tmpfs', containers]);
    sb.execOk([process.execPath, PODGEN, 'linger', USER.name]);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(sb.root, `run/user/${USER.uid}/bus`)); i++) spawnSync('sleep', ['0.1']);

    const [pRoot, pRootless, pPodman] = [await freePort(), await freePort(), await freePort()];
    const httpd = (port: number): string => `PublishPort=127.0.0.1:${port}:8080\nExec=/bin/busybox httpd -f -p 8080\nStopTimeout=1\n`;
    // Root's unit.
    sb.execOk(['mkdir', '-p', '/etc/containers/systemd']);
    fs.writeFileSync(path.join(sb.root, 'etc/containers/systemd/rootweb.container'), `[Container]\nImage=${image}\n${httpd(pRoot)}`);
    sb.execOk([process.execPath, PODGEN, 'pull', '-q', image]);
    sb.execOk([process.execPath, PODGEN, 'install', 'rootweb']);
    // The user's two.
    const defs = `${home}/.config/containers/systemd`;
    okUser(['mkdir', '-p', defs]);
    fs.writeFileSync(path.join(sb.root, defs, 'rlweb.container'), `[Container]\nImage=${image}\n${httpd(pRootless)}`);
    fs.writeFileSync(path.join(sb.root, defs, 'pmweb.container'), `[Container]\nImage=${PODMAN_IMAGE}\n${PODMAN_KEYS}${httpd(pPodman)}`);
    okUser(['podman', '--storage-driver', 'vfs', 'import', '-q', '/var/tmp/bench-bb.tar', PODMAN_IMAGE]);
    okUser([process.execPath, PODGEN, 'pull', '--user', '-q', image]);
    okUser([process.execPath, PODGEN, 'install', '--user', 'rlweb']);
    okUser([process.execPath, PODGEN, 'install', '--user', '--engine', 'podman', 'pmweb']);

    const probe = (unit: string, port: number): number => {
      const argv = [process.execPath, PROBE, unit === 'rootweb' ? 'system' : 'session', `${unit}.service`, String(port)];
      const r = unit === 'rootweb' ? sb.exec(argv) : asUser(argv);
      const ms = Number(r.stdout.trim());
      if (r.status !== 0 || !Number.isFinite(ms)) throw new Error(`${unit}: ${r.stderr}${r.stdout}`);
      return ms;
    };
    const ports: Record<string, number> = { rootweb: pRoot, rlweb: pRootless, pmweb: pPodman };
    const results: Record<string, number[]> = { rootweb: [], rlweb: [], pmweb: [] };
    for (const unit of Object.keys(results)) probe(unit, ports[unit] as number); // warm-up: page cache, podman's first run
    for (let i = 0; i < ROUNDS; i++) {
      for (const unit of Object.keys(results).sort(() => Math.random() - 0.5)) {
        await new Promise((r) => setTimeout(r, 300));
        results[unit]?.push(probe(unit, ports[unit] as number));
      }
    }
    if (process.env.BENCH_DEBUG) console.error(sb.exec(['journalctl', '--no-pager', '-o', 'short-precise', '-n', '80', `_UID=${USER.uid}`]).stdout);
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const root = m.rootweb as number;
    const rootless = m.rlweb as number;
    const podman = m.pmweb as number;
    console.log(
      [
        `bench/rootless: StartUnit -> HTTP answer on the published port, median of ${ROUNDS}, busybox httpd, sandbox systemd 252`,
        `  rootful podgen unit (bridge, CNI): ${root.toFixed(1)} ms; rootless podgen unit (user namespace, pasta): ${rootless.toFixed(1)} ms; rootless podman 4.3 unit (vfs, runc, slirp4netns): ${podman.toFixed(1)} ms`,
        `  rootless / rootful podgen = ${(rootless / root).toFixed(2)}x [target <= 1.3x: ${rootless / root <= 1.3 ? 'met' : 'MISSED'}]; rootless podman / rootless podgen = ${(podman / rootless).toFixed(2)}x [target >= 2x: ${podman / rootless >= 2 ? 'met' : 'MISSED'}]`,
      ].join('\n'),
    );
    console.log(JSON.stringify({ bench: 'rootless', rounds: ROUNDS, medianMs: m }));
  } finally {
    sb.halt();
    reg.stop();
  }
}

void main();
