// The D-Bus wire format, as far as podgen's status reader needs it: method
// calls with string and string-array arguments out, any reply in (pure code).
// Why not dbus-next's codec here: it decodes every 64-bit value through a
// decimal string and every variant through a fresh signature parse, which made
// `podgen ps` spend ~1.5 ms per unit in decoding alone (docs/architecture.md).

/** A decoded value: variants are unwrapped, 64-bit integers are bigint, structs and arrays are arrays, dicts are Maps. */
export type WireValue = string | number | bigint | boolean | WireValue[] | Map<WireValue, WireValue>;

export const MessageType = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, signature: 8 } as const;

/** One received message, header fields narrowed. */
export interface WireMessage {
  readonly type: number;
  readonly serial: number;
  readonly replySerial: number | undefined;
  readonly errorName: string | undefined;
  readonly signature: string;
  readonly body: WireValue[];
}

/** The length of the single complete type that starts at signature[i]. */
function typeLength(signature: string, i: number): number {
  const c = signature[i];
  if (c === 'a') return 1 + typeLength(signature, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (signature[j] !== close) {
      if (j >= signature.length) throw new Error(`unbalanced D-Bus signature "${signature}"`);
      j += typeLength(signature, j);
    }
    return j - i + 1;
  }
  if (c === undefined || !'ybnqiuxtdsogvh'.includes(c)) throw new Error(`unsupported D-Bus type "${c ?? ''}" in "${signature}"`);
  return 1;
}

/** The complete types of a signature, e.g. "sa{sv}" -> ["s", "a{sv}"]. */
export function splitSignature(signature: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < signature.length; ) {
    const n = typeLength(signature, i);
    out.push(signature.slice(i, i + n));
    i += n;
  }
  return out;
}

const ALIGN: Record<string, number> = { y: 1, g: 1, v: 1, b: 4, n: 2, q: 2, i: 4, u: 4, h: 4, s: 4, o: 4, a: 4, x: 8, t: 8, d: 8, '(': 8, '{': 8 };

class Reader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    private readonly le: boolean,
    /** Offset of the message start in buf: alignment is relative to it. */
    private readonly origin: number,
    start: number,
  ) {
    this.pos = start;
  }

  private align(n: number): void {
    const rel = this.pos - this.origin;
    this.pos += (n - (rel % n)) % n;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('D-Bus message truncated');
  }

  /** A fixed-size value, aligned to its size, in the message's byte order. */
  private fixed<T>(size: number, read: (buf: Buffer, at: number, le: boolean) => T): T {
    this.align(size);
    this.need(size);
    const v = read(this.buf, this.pos, this.le);
    this.pos += size;
    return v;
  }

  private u32(): number {
    return this.fixed(4, (b, at, le) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at)));
  }

  private text(len: number): string {
    this.need(len + 1);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len + 1; // and the NUL
    return s;
  }

  read(type: string): WireValue {
    const c = type[0];
    switch (c) {
      case 'y':
        this.need(1);
        return this.buf[this.pos++] as number;
      case 'b':
        return this.u32() !== 0;
      case 'n':
        return this.fixed(2, (b, at, le) => (le ? b.readInt16LE(at) : b.readInt16BE(at)));
      case 'q':
        return this.fixed(2, (b, at, le) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at)));
      case 'i': {
        const v = this.u32();
        return v | 0;
      }
      case 'u':
      case 'h':
        return this.u32();
      case 'x':
        return this.fixed(8, (b, at, le) => (le ? b.readBigInt64LE(at) : b.readBigInt64BE(at)));
      case 't':
        return this.fixed(8, (b, at, le) => (le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)));
      case 'd':
        return this.fixed(8, (b, at, le) => (le ? b.readDoubleLE(at) : b.readDoubleBE(at)));
      case 's':
      case 'o':
        return this.text(this.u32());
      case 'g': {
        this.need(1);
        return this.text(this.buf[this.pos++] as number);
      }
      case 'v': {
        this.need(1);
        const sig = this.text(this.buf[this.pos++] as number);
        return this.read(sig);
      }
      case 'a': {
        const bytes = this.u32();
        const element = type.slice(1);
        this.align(ALIGN[element[0] ?? ''] ?? 1);
        const end = this.pos + bytes;
        if (end > this.buf.length) throw new Error('D-Bus message truncated');
        if (element[0] === '{') {
          const [k, v] = splitSignature(element.slice(1, -1));
          const map = new Map<WireValue, WireValue>();
          while (this.pos < end) {
            this.align(8);
            const key = this.read(k as string);
            map.set(key, this.read(v as string));
          }
          return map;
        }
        const list: WireValue[] = [];
        while (this.pos < end) list.push(this.read(element));
        return list;
      }
      case '(': {
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((t) => this.read(t));
      }
      default:
        throw new Error(`unsupported D-Bus type "${type}"`);
    }
  }
}

/** Decode values of `signature` from buf at start (alignment relative to origin). */
export function decode(buf: Buffer, signature: string, le = true, origin = 0, start = origin): WireValue[] {
  const r = new Reader(buf, le, origin, start);
  return splitSignature(signature).map((t) => r.read(t));
}

/** The whole length of the message at buf[0..], or undefined while its fixed header is incomplete. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  const le = buf[0] === 0x6c; // 'l'
  const bodyLength = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLength = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  return 16 + Math.ceil(fieldsLength / 8) * 8 + bodyLength;
}

/** Parse one complete message (buf holds exactly it). Header fields are read directly: they are most of a small reply. */
export function parseMessage(buf: Buffer): WireMessage {
  const le = buf[0] === 0x6c;
  if (!le && buf[0] !== 0x42) throw new Error('not a D-Bus message (bad endianness byte)');
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const fieldsLength = u32(12);
  const bodyStart = 16 + Math.ceil(fieldsLength / 8) * 8;
  if (bodyStart > buf.length) throw new Error('D-Bus message truncated');
  let signature = '';
  let replySerial: number | undefined;
  let errorName: string | undefined;
  for (let pos = 16; pos < 16 + fieldsLength; ) {
    pos = (pos + 7) & ~7;
    const code = buf[pos] as number;
    const sigLength = buf[pos + 1] as number;
    const type = String.fromCharCode(buf[pos + 2] as number);
    pos += 3 + sigLength; // code, signature length, signature, NUL
    if (type === 'u') {
      pos = (pos + 3) & ~3;
      if (code === FIELD.replySerial) replySerial = u32(pos);
      pos += 4;
    } else if (type === 'g') {
      const n = buf[pos] as number;
      if (code === FIELD.signature) signature = buf.toString('latin1', pos + 1, pos + 1 + n);
      pos += n + 2;
    } else if (type === 's' || type === 'o') {
      pos = (pos + 3) & ~3;
      const n = u32(pos);
      if (code === FIELD.errorName) errorName = buf.toString('utf8', pos + 4, pos + 4 + n);
      pos += 4 + n + 1;
    } else {
      throw new Error(`unexpected D-Bus header field type "${type}"`);
    }
  }
  return {
    type: buf[1] as number,
    serial: u32(8),
    replySerial,
    errorName,
    signature,
    body: signature ? decode(buf, signature, le, bodyStart) : [],
  };
}

export interface MethodCall {
  readonly destination: string;
  readonly path: string;
  readonly interface: string;
  readonly member: string;
  /** Only s, o, g, u, b and as arguments. */
  readonly signature: string;
  readonly body: readonly unknown[];
}

/** Little-endian writer into an exact-size buffer: run once to measure (buf undefined), once to write. */
class Writer {
  size = 0;
  constructor(readonly buf?: Buffer) {}

  pad(n: number): void {
    const p = (n - (this.size % n)) % n;
    if (this.buf) this.buf.fill(0, this.size, this.size + p);
    this.size += p;
  }

  byte(v: number): void {
    if (this.buf) this.buf[this.size] = v;
    this.size += 1;
  }

  /** Write a u32 (aligned); returns where it is, for patching array lengths. */
  u32(v: number): number {
    this.pad(4);
    if (this.buf) this.buf.writeUInt32LE(v, this.size);
    this.size += 4;
    return this.size - 4;
  }

  patchU32(at: number, v: number): void {
    if (this.buf) this.buf.writeUInt32LE(v, at);
  }

  private text(v: string, lengthBytes: 1 | 4): void {
    const n = Buffer.byteLength(v, 'utf8');
    if (lengthBytes === 1) this.byte(n);
    else this.u32(n);
    if (this.buf) this.buf.write(v, this.size, 'utf8');
    this.size += n;
    this.byte(0);
  }

  write(type: string, value: unknown): void {
    switch (type) {
      case 's':
      case 'o':
        return this.text(String(value), 4);
      case 'g':
        return this.text(String(value), 1);
      case 'y':
        return this.byte(Number(value));
      case 'u':
        this.u32(Number(value));
        return;
      case 'b':
        this.u32(value ? 1 : 0);
        return;
      case 'as': {
        // Strings align to 4, so the array's contents start right after its length.
        const at = this.u32(0);
        for (const s of value as readonly string[]) this.write('s', s);
        this.patchU32(at, this.size - at - 4);
        return;
      }
      default:
        throw new Error(`podgen's D-Bus writer cannot send type "${type}"`);
    }
  }

  /** One header field (code, signature, value), starting 8-aligned. */
  field(code: number, sig: string, v: string): void {
    this.pad(8);
    this.byte(code);
    this.write('g', sig);
    this.write(sig, v);
  }
}

/** Encoded bytes that start 8-aligned in every message, so they can be reused: `exact` is the length before the padding. */
interface Piece {
  readonly bytes: Buffer;
  readonly exact: number;
}

const pieces = new Map<string, Piece>();

function piece(key: string, write: (w: Writer) => void): Piece {
  const known = pieces.get(key);
  if (known) return known;
  const measure = new Writer();
  write(measure);
  const exact = measure.size;
  measure.pad(8);
  const w = new Writer(Buffer.alloc(measure.size));
  write(w);
  const made = { bytes: w.buf as Buffer, exact };
  if (pieces.size < 10_000) pieces.set(key, made);
  return made;
}

/** Encode a method call (little-endian, protocol version 1). */
export function encodeCall(serial: number, call: MethodCall): Buffer {
  // Fields and body start 8-aligned, so their bytes do not depend on what precedes them:
  // a status query sends hundreds of calls that differ only in path or property name.
  const path = piece(`p${call.path}`, (w) => w.field(FIELD.path, 'o', call.path));
  const rest = piece(`f${call.interface}\0${call.member}\0${call.destination}\0${call.signature}`, (w) => {
    w.field(FIELD.interface, 's', call.interface);
    w.field(FIELD.member, 's', call.member);
    w.field(FIELD.destination, 's', call.destination);
    if (call.signature) w.field(FIELD.signature, 'g', call.signature);
  });
  const body = piece(`b${call.signature}\0${JSON.stringify(call.body)}`, (w) => splitSignature(call.signature).forEach((t, i) => w.write(t, call.body[i])));
  const fixed = Buffer.alloc(16);
  fixed.set([0x6c, MessageType.methodCall, 0, 1]);
  fixed.writeUInt32LE(body.exact, 4);
  fixed.writeUInt32LE(serial, 8);
  fixed.writeUInt32LE(path.bytes.length + rest.exact, 12);
  return Buffer.concat([fixed, path.bytes, rest.bytes, body.bytes.subarray(0, body.exact)]);
}
