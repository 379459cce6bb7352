// npm run bench (compose): a 10-service compose stack (busybox httpd, one
// published port each, one network) brought up in the nspawn sandbox's real
// systemd by `podgen up -f compose.yaml` (import included), against
// `podman-compose up -d` (1.0.3, Debian's; docker compose is not installable
// here) on the same file with podman 4.3, both timed until every port answers,
// in the same run. Never part of `npm test`.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestRegistry } from '../test/support/registry';
import { freePort } from '../test/support/ports';
import { Sandbox } from '../test/support/sandbox';
import { answers, busyboxEverywhere, median, PODGEN, PODMAN_IMAGE } from './support';

const SERVICES = 10;
const ROUNDS = 3;

function composeFile(image: string, ports: readonly number[]): string {
  const services = ports.map((p, i) => `  web${i}:\n    image: ${image}\n    command: ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]\n    ports: ["127.0.0.1:${p}:80"]\n    pids_limit: -1\n    stop_grace_period: 1s\n`);
  return `services:\n${services.join('')}`;
}

async function allAnswer(ports: readonly number[], t0: bigint, what: string): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ok = await Promise.all(ports.map((p) => answers(p)));
    if (ok.every(Boolean)) return Number(process.hrtime.bigint() - t0) / 1e6;
    if (Date.now() > deadline) throw new Error(`${what}: ${ok.filter((x) => !x).length} of ${ports.length} ports never answered`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function inside(sb: Sandbox, argv: readonly string[], cwd: string): void {
  const r = spawnSync('nsenter', ['-t', String(sb.pid), '-a', 'sh', '-c', `cd '${cwd}' && exec "$@"`, 'sh', ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  try {
    const { image } = await busyboxEverywhere(reg, sb);
    const ports = await Promise.all(Array.from({ length: SERVICES }, () => freePort()));
    const pgDir = '/var/tmp/bench-compose-podgen/stack';
    const pmDir = '/var/tmp/bench-compose-podman/stack';
    for (const [d, img] of [[pgDir, image], [pmDir, PODMAN_IMAGE]] as const) {
      fs.mkdirSync(path.join(sb.root, d), { recursive: true });
      fs.writeFileSync(path.join(sb.root, d, 'compose.yaml'), composeFile(img, ports));
    }
    // podman in the sandbox: vfs storage (overlay on overlay fails), runc (crun needs CAP_SYS_RESOURCE), no pids controller.
    const podmanArgs = '--storage-driver vfs --runtime runc';
    const podgen = [process.execPath, PODGEN];
    // The image in podgen's store first, as podman has it in its own: both runs start, neither pulls.
    inside(sb, [...podgen, 'pull', '-q', image], '/');
    const pg: number[] = [];
    const pm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = process.hrtime.bigint();
      inside(sb, [...podgen, 'up', '-f', 'compose.yaml'], pgDir);
      pg.push(await allAnswer(ports, t0, 'podgen up -f'));
      inside(sb, [...podgen, 'down', '-f', 'compose.yaml'], pgDir);
      t0 = process.hrtime.bigint();
      // podman-compose 1.0.3 does not pass pids_limit on: the run flag goes in by hand.
      inside(sb, ['podman-compose', '--podman-args', podmanArgs, '--podman-run-args=--pids-limit=-1', '-f', 'compose.yaml', 'up', '-d'], pmDir);
      pm.push(await allAnswer(ports, t0, 'podman-compose up -d'));
      inside(sb, ['podman-compose', '--podman-args', podmanArgs, '-f', 'compose.yaml', 'down'], pmDir);
    }
    const a = median(pg);
    const b = median(pm);
    console.log(`compose stack of ${SERVICES} services, until every port answers, median of ${ROUNDS}: podgen up -f (import, install, start) ${a.toFixed(0)} ms; podman-compose up -d ${b.toFixed(0)} ms; podgen / podman-compose = ${(a / b).toFixed(2)}x`);
  } finally {
    sb.halt();
    reg.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
