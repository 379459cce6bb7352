// How a pull reports progress: a live per-layer display on a TTY, one line
// per layer otherwise (logs, provisioning scripts), nothing with --quiet.

import type { PullProgress } from '../image/pull';
import type { JobOutcome } from '../manage/systemd';
import { formatBytes } from '../values/formatBytes';

const short = (digest: string): string => digest.slice(7, 19);

/** One line per layer as it completes; suited to logs. */
export function lineProgress(out: NodeJS.WritableStream): PullProgress {
  const sizes = new Map<string, number>();
  return {
    layer(digest, size, state) {
      sizes.set(digest, size);
      if (state === 'present') out.write(`blob ${short(digest)}: already present (${formatBytes(size)})\n`);
    },
    bytes() {},
    done(digest) {
      out.write(`blob ${short(digest)}: downloaded ${formatBytes(sizes.get(digest) ?? 0)}\n`);
    },
  };
}

/** A redrawn table of layers and bytes; for terminals. */
export function ttyProgress(out: NodeJS.WriteStream): PullProgress {
  const rows = new Map<string, { size: number; got: number; state: string }>();
  let drawn = 0;
  let last = 0;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    for (const [digest, r] of rows) {
      const pct = r.size > 0 ? Math.floor((100 * r.got) / r.size) : 100;
      out.write(`\x1b[2Kblob ${short(digest)}: ${r.state.padEnd(11)} ${formatBytes(r.got).padStart(10)} / ${formatBytes(r.size)} ${String(pct).padStart(3)}%\n`);
    }
    drawn = rows.size;
  };
  return {
    layer(digest, size, state) {
      rows.set(digest, { size, got: state === 'present' ? size : 0, state: state === 'present' ? 'present' : 'downloading' });
      draw(true);
    },
    bytes(digest, n) {
      const r = rows.get(digest);
      if (r) r.got += n;
      draw(false);
    },
    done(digest) {
      const r = rows.get(digest);
      if (r) r.state = 'done';
      draw(true);
    },
  };
}

/** One redrawn line while `up` waits for a batch of jobs: how many are done, failed, still running. */
export function ttyJobProgress(out: NodeJS.WriteStream, total: number): (o: JobOutcome) => void {
  let done = 0;
  let failed = 0;
  let lastFailed = '';
  const draw = (): void => {
    const waiting = total - done - failed;
    out.write(`\r\x1b[2Kjobs: ${done}/${total} done${failed ? `, ${failed} failed (last: ${lastFailed})` : ''}${waiting ? `, ${waiting} running` : '\n'}`);
  };
  draw();
  return (o) => {
    if (o.result === 'done') done++;
    else {
      failed++;
      lastFailed = o.unit;
    }
    draw();
  };
}
