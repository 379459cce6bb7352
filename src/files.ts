// Reading a file a user named (a definition, a drop-in, an environment file):
// only a regular file, and only up to a size, so a FIFO, /dev/zero or a
// multi-gigabyte log given by mistake gets a clear error instead of a hang or
// an exhausted heap. The type is checked before opening (opening a device can
// have effects of its own) and again on the open descriptor (the path may have
// changed in between); O_NONBLOCK keeps even that open from waiting on a FIFO.

import * as fs from 'node:fs';

export type ReadRefusal =
  | { readonly kind: 'missing' }
  | { readonly kind: 'directory' }
  | { readonly kind: 'not-regular'; readonly what: string }
  | { readonly kind: 'too-big'; readonly limit: number }
  | { readonly kind: 'unreadable'; readonly code: string | undefined; readonly message: string };

export type ReadResult = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly refusal: ReadRefusal };

function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refusalOf(st: fs.Stats, limit: number): ReadRefusal | undefined {
  if (st.isDirectory()) return { kind: 'directory' };
  if (!st.isFile()) return { kind: 'not-regular', what: fileKind(st) };
  if (st.size > limit) return { kind: 'too-big', limit };
  return undefined;
}

const unreadable = (e: unknown): ReadRefusal => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', code: err.code, message: err.message };
};

/** The whole content of a regular file of at most limit bytes, or why not. */
export function readRegularFile(file: string, limit: number): ReadResult {
  let fd: number;
  try {
    const before = refusalOf(fs.statSync(file), limit);
    if (before) return { ok: false, refusal: before };
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, refusal: unreadable(e) };
  }
  try {
    const after = refusalOf(fs.fstatSync(fd), limit);
    if (after) return { ok: false, refusal: after };
    // Read to the end but never past the limit: the file may grow while we read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) return { ok: false, refusal: { kind: 'too-big', limit } };
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } catch (e) {
    return { ok: false, refusal: unreadable(e) };
  } finally {
    fs.closeSync(fd);
  }
}

/** "4 MiB", "512 KiB": a limit as people read it. */
export function describeBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** What went wrong, in words: "environment file /x does not exist", "/x is a FIFO, not a seccomp profile: ...". */
export function refusalMessage(file: string, role: string, r: ReadRefusal): string {
  switch (r.kind) {
    case 'missing':
      return `${role} ${file} does not exist`;
    case 'directory':
      return `${file} is a directory, not a ${role}`;
    case 'not-regular':
      return `${file} is ${r.what}, not a ${role}: only regular files are read`;
    case 'too-big':
      return `${role} ${file} is larger than ${describeBytes(r.limit)}`;
    case 'unreadable':
      return `cannot read ${role} ${file}: ${r.message}`;
    default: {
      const never: never = r;
      throw new Error(`unhandled refusal ${String(never)}`);
    }
  }
}

/** Write a small file so that readers see the old or the new text, never half of it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
