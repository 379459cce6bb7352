// The status reader's deadlines (src/manage/busReader.ts), against a peer on a real unix
// socket that speaks just enough D-Bus (replies marshalled by dbus-next) and then goes silent:
// a silent systemd must become an error the caller can act on, never a hang.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBusReader } from '../../src/manage/busReader';
import { messageLength, parseMessage } from '../../src/manage/wire';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const compat = require('dbus-next/lib/marshall-compat.js') as { marshallMessage(m: Record<string, unknown>): [Buffer, unknown[]] };

/** A bus that authenticates, answers the first `answered` calls with a string, then says nothing. */
function silentBus(answered: number): net.Server {
  return net.createServer((socket) => {
    let inbox = Buffer.alloc(0);
    let begun = false;
    let authenticated = false;
    let replies = 0;
    socket.on('data', (chunk) => {
      inbox = Buffer.concat([inbox, chunk]);
      if (!begun) {
        const text = inbox.toString('latin1');
        if (!authenticated && text.includes('\r\n')) {
          authenticated = true;
          socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
        }
        const at = text.indexOf('BEGIN\r\n');
        if (at < 0) return;
        begun = true;
        inbox = inbox.subarray(at + 'BEGIN\r\n'.length);
      }
      for (;;) {
        const length = messageLength(inbox);
        if (length === undefined || inbox.length < length) return;
        const call = parseMessage(inbox.subarray(0, length));
        inbox = inbox.subarray(length);
        if (replies >= answered) continue;
        replies += 1;
        socket.write(compat.marshallMessage({ type: 2, serial: 1000 + replies, replySerial: call.serial, destination: ':1.9', signature: 's', body: [':1.9'] })[0]);
      }
    });
  });
}

async function withBus<T>(answered: number, body: () => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bus-'));
  const socketPath = path.join(dir, 'bus');
  const server = silentBus(answered);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${socketPath}`;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ping = { destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.DBus.Peer', member: 'Ping', signature: '', body: [] };

describe('status reader deadlines (src/manage/busReader.ts)', function () {
  this.timeout(10_000);

  it('a bus that never answers Hello is an ETIMEDOUT error within the deadline', async function () {
    await withBus(0, async () => {
      const t0 = Date.now();
      await assert.rejects(openBusReader('session', 300), (e: NodeJS.ErrnoException) => e.code === 'ETIMEDOUT' && /within 0.3 s/.test(e.message));
      assert.ok(Date.now() - t0 < 3000);
    });
  });

  it('a call after an idle spell still has a deadline (a cleared timer is not revived by refresh)', async function () {
    await withBus(2, async () => {
      const reader = await openBusReader('session', 300);
      try {
        assert.deepEqual(await reader.call(ping), [':1.9'], 'the second call is answered');
        await new Promise((r) => setTimeout(r, 50)); // idle: no call pending
        const t0 = Date.now();
        await assert.rejects(reader.call(ping), (e: NodeJS.ErrnoException) => e.code === 'ETIMEDOUT');
        assert.ok(Date.now() - t0 < 3000, 'rejected at the deadline, not at the test timeout');
      } finally {
        reader.close();
      }
    });
  });
});
