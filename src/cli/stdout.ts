// Standard output as a place that can fail. A unit printed to a full disk
// (`>/dev/full`: ENOSPC), a closed descriptor or a broken device must end with
// a message and exit 73, not a stack trace; a reader that stops early
// (`| head -1`: EPIPE) is not an error.

import * as fs from 'node:fs';
import { ExitCode } from '../errors';

/** Describe a write error the way a sysadmin reads it. */
function describeWriteError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EBADF':
      return 'it is not open for writing';
    case 'EIO':
      return 'an I/O error';
    case 'EROFS':
      return 'a read-only file system';
    case 'EFBIG':
      return 'the file is too large';
    default:
      return e.message;
  }
}

/** Handle asynchronous write errors on stdout: EPIPE ends quietly, anything else is exit 73. */
export function guardStdout(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    process.stderr.write(`podgen: cannot write to standard output: ${describeWriteError(e)}\n  hint: what was printed before this may be incomplete; use --output DIR for files written whole or not at all\n`);
    process.exit(ExitCode.cantWrite);
  });
}

/**
 * Whether podgen was started with stdout closed (`podgen generate >&-`). Node reopens a closed
 * descriptor 0-2 on /dev/null, read-write, before any JavaScript runs; a shell's `>/dev/null`
 * opens it write-only, and systemd's StandardOutput=null too. So /dev/null open read-write on
 * fd 1 is a closed stdout (or the rare `1<>/dev/null`).
 */
export function stdoutWasClosed(): boolean {
  try {
    if (fs.readlinkSync('/proc/self/fd/1') !== '/dev/null') return false;
    const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync('/proc/self/fdinfo/1', 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & 3) === fs.constants.O_RDWR;
  } catch {
    return false;
  }
}
