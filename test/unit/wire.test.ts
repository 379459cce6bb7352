// podgen's own D-Bus wire codec (src/manage/wire.ts), checked against
// dbus-next's marshaller as the reference: calls must be byte-identical, and
// replies dbus-next encodes must decode to the same values.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import * as dbus from 'dbus-next';
import { decode, encodeCall, messageLength, parseMessage, splitSignature, type WireValue } from '../../src/manage/wire';
import { socketPathOf } from '../../src/manage/busReader';

// dbus-next's internal marshaller: the reference encoding (pinned version 0.10.2).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const reference = require('dbus-next/lib/message.js') as { marshall(m: Record<string, unknown>): [Buffer, unknown[]] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compat = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage(m: Record<string, unknown>): [Buffer, unknown[]];
  messageToJsFmt(m: { signature: string; body: unknown[] }): { body: unknown[] };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const referenceParse = (require('dbus-next/lib/message.js') as { unmarshall(b: Buffer): { signature: string; body: unknown[] } }).unmarshall;

/** A method return as dbus-next sends one: the bytes, and dbus-next's own reading of them. */
function reply(signature: string, body: unknown[]): { bytes: Buffer; theirs: unknown[] } {
  const [bytes] = compat.marshallMessage({ type: 2, serial: 9, replySerial: 3, destination: ':1.1', sender: 'org.freedesktop.systemd1', signature, body });
  return { bytes, theirs: compat.messageToJsFmt(referenceParse(bytes)).body };
}

const seed = Number(process.env.PODGEN_FC_SEED ?? Date.now() % 100000);

/** dbus-next's decoded values in wire.ts's shape: variants unwrapped, byte arrays as numbers. */
function normalize(v: unknown): unknown {
  if (v instanceof dbus.Variant) return normalize(v.value);
  if (Buffer.isBuffer(v)) return [...v];
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const objectPath = fc.array(name, { minLength: 0, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const dotted = fc.array(name, { minLength: 2, maxLength: 4 }).map((p) => p.join('.'));
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));

describe('D-Bus wire codec (src/manage/wire.ts)', function () {
  it(`encodes method calls byte for byte as dbus-next does (fast-check, seed ${seed})`, function () {
    const body = fc.oneof(
      fc.constant({ signature: '', body: [] as unknown[] }),
      fc.tuple(text).map((b) => ({ signature: 's', body: b as unknown[] })),
      fc.tuple(text, text).map((b) => ({ signature: 'ss', body: b as unknown[] })),
      fc.array(text, { maxLength: 8 }).map((a) => ({ signature: 'as', body: [a] as unknown[] })),
      fc.tuple(fc.array(text, { maxLength: 5 }), fc.boolean(), fc.boolean()).map(([a, x, y]) => ({ signature: 'asbb', body: [a, x, y] as unknown[] })),
      fc.tuple(objectPath, fc.nat({ max: 2 ** 32 - 1 })).map(([o, u]) => ({ signature: 'ou', body: [o, u] as unknown[] })),
    );
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 31 }).map((n) => n + 1), objectPath, dotted, name, dotted, body, (serial, path, iface, member, destination, b) => {
        const call = { destination, path, interface: iface, member, signature: b.signature, body: b.body };
        const mine = encodeCall(serial, call);
        const [theirs] = reference.marshall({ ...call, serial, type: 1 });
        assert.deepEqual(mine, theirs);
        assert.equal(messageLength(mine), mine.length);
        assert.equal(messageLength(mine.subarray(0, 15)), undefined);
        const back = parseMessage(mine);
        assert.equal(back.serial, serial);
        assert.equal(back.signature, b.signature);
        assert.deepEqual(back.body, b.body);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('decodes the reply shapes systemd sends (ListUnitsByNames rows, variants, 64-bit values, dicts) as dbus-next does', function () {
    const cases: Array<[string, unknown[]]> = [
      ['a(ssssssouso)', [[['a.service', 'A', 'loaded', 'active', 'running', '', '/org/freedesktop/systemd1/unit/a_2eservice', 0, '', '/']]]],
      ['v', [new dbus.Variant('u', 4294967295)]],
      ['v', [new dbus.Variant('t', 18446744073709551615n)]],
      ['v', [new dbus.Variant('x', -9007199254740993n)]],
      ['v', [new dbus.Variant('i', -2)]],
      ['v', [new dbus.Variant('s', 'exit-code')]],
      ['a{sv}', [{ MainPID: new dbus.Variant('u', 42), ExecMainStartTimestamp: new dbus.Variant('t', 1764441600123456n), Names: new dbus.Variant('as', ['x', 'y']) }]],
      ['ybnqiuxtdsog', [255, true, -3, 65535, -5, 7, -1n, 2n ** 63n, 1.5, 'ü', '/o', 'a{sv}']],
      ['a(sasbttttuii)', [[['/usr/bin/runc', ['runc', 'start', 'x'], false, 1n, 2n, 3n, 4n, 99, 1, 0]]]],
      ['aay', [[Buffer.from([1, 2]), Buffer.from([])]]],
      ['ax', [[1n, -2n]]],
    ];
    for (const [signature, body] of cases) {
      const { bytes, theirs } = reply(signature, body);
      const mine = parseMessage(bytes);
      assert.equal(mine.replySerial, 3);
      assert.equal(mine.type, 2);
      assert.deepEqual(mine.body, normalize(theirs) as WireValue[], signature);
    }
    const error = parseMessage(compat.marshallMessage({ type: 3, serial: 10, replySerial: 4, errorName: 'org.freedesktop.DBus.Error.AccessDenied', signature: 's', body: ['no'] })[0]);
    assert.deepEqual([error.type, error.replySerial, error.errorName, error.body], [3, 4, 'org.freedesktop.DBus.Error.AccessDenied', ['no']]);
  });

  it('refuses truncated and malformed input instead of reading past it', function () {
    const message = encodeCall(1, { destination: 'a.b', path: '/', interface: 'a.b', member: 'M', signature: 'as', body: [['a', 'b']] });
    const bytes = message.subarray(message.length - message.readUInt32LE(4)); // the body
    assert.deepEqual(decode(bytes, 'as'), [['a', 'b']]);
    assert.throws(() => decode(bytes.subarray(0, bytes.length - 3), 'as'), /truncated/);
    assert.throws(() => decode(bytes, 'a(s'), /unbalanced/);
    assert.throws(() => splitSignature('z'), /unsupported D-Bus type "z"/);
    const call = encodeCall(1, { destination: 'a.b', path: '/', interface: 'a.b', member: 'M', signature: 's', body: ['x'] });
    const bad = Buffer.from(call);
    bad[0] = 0x41;
    assert.throws(() => parseMessage(bad), /bad endianness/);
    assert.throws(() => parseMessage(call.subarray(0, 20)), /truncated/);
  });

  it('finds the socket in D-Bus addresses', function () {
    assert.equal(socketPathOf('unix:path=/run/dbus/system_bus_socket'), '/run/dbus/system_bus_socket');
    assert.equal(socketPathOf('unix:path=/run/user/1000/bus,guid=0123'), '/run/user/1000/bus');
    assert.equal(socketPathOf('unix:abstract=/tmp/dbus-X'), '\0/tmp/dbus-X');
    assert.equal(socketPathOf('tcp:host=localhost,port=1;unix:path=/a%20b'), '/a b');
    assert.equal(socketPathOf('tcp:host=localhost,port=1'), undefined);
  });
});
