// A bus that misbehaves (refuses us, hangs up, never answers) must give a
// precise error and an exit code, never a hang or a stack trace; and a reader
// that stops early (`podgen ps | head -1`) is not an error.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBusReader } from '../../src/manage/busReader';
import { PODGEN_BIN, REPO_ROOT } from '../support/cli';

/** A unix-socket "bus" that answers the auth line with `onAuth` and then does `after`. */
async function fakeBus(onAuth: string, after: 'close' | 'silence'): Promise<{ address: string; close(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-fakebus-'));
  const socketPath = path.join(dir, 'bus');
  const clients = new Set<net.Socket>();
  const server = net.createServer((c) => {
    clients.add(c);
    c.once('data', () => {
      c.write(onAuth);
      if (onAuth.startsWith('OK')) c.once('data', () => (after === 'close' ? c.destroy() : undefined));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    address: `unix:path=${socketPath}`,
    close() {
      for (const c of clients) c.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** podgen, asynchronously (the fake bus lives in this process). */
function podgenAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PODGEN_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('podgen against a misbehaving D-Bus', function () {
  this.timeout(30_000);

  it('a bus that refuses authentication: exit 77, says so, hints at root or --user', async function () {
    const bus = await fakeBus('REJECTED EXTERNAL\r\n', 'close');
    try {
      const r = await podgenAsync(['ps'], { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
      assert.equal(r.status, 77, r.stderr);
      assert.match(r.stderr, /^podgen: systemd refused the request: the bus refused authentication as uid \d+ \(REJECTED EXTERNAL\)$/m);
      assert.match(r.stderr, /hint: run as root, or use --user/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    } finally {
      bus.close();
    }
  });

  it('a bus that hangs up after the handshake: exit 69 with the reason, no hang', async function () {
    const bus = await fakeBus('OK 0123456789abcdef0123456789abcdef\r\n', 'close');
    try {
      const r = await podgenAsync(['ps', '--json'], { DBUS_SYSTEM_BUS_ADDRESS: bus.address });
      assert.equal(r.status, 69, r.stderr);
      assert.match(r.stderr, /^podgen: systemd D-Bus call failed: the bus closed the connection( \((EPIPE|ECONNRESET)\))?$/m);
      assert.equal(r.stdout, '');
    } finally {
      bus.close();
    }
  });

  it('a bus that never answers: the reader gives up at its deadline', async function () {
    const bus = await fakeBus('OK 0123456789abcdef0123456789abcdef\r\n', 'silence');
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address;
    try {
      const t0 = Date.now();
      await assert.rejects(openBusReader('system', 300), /no answer from the bus within 0\.3 s/);
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
      bus.close();
    }
  });

  it('a closed pipe on stdout (podgen ... | head -c 1) ends quietly with status 0', function () {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${PODGEN_BIN}" generate nginx | head -c 1 >/dev/null`], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });
});
