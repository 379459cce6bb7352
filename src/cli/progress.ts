// How a pull reports progress: a live per-layer display on a TTY, one line
// per layer otherwise (logs, provisioning scripts), nothing with --quiet.

import type { PullProgress } from '../commands/pull';

const short = (digest: string): string => digest.slice(7, 19);

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** One line per layer as it completes; suited to logs. */
export function lineProgress(out: NodeJS.WritableStream): PullProgress {
  const sizes = new Map<string, number>();
  return {
    layer(digest, size, state) {
      sizes.set(digest, size);
      if (state === 'present') out.write(`blob ${short(digest)}: already present (${human(size)})\n`);
    },
    bytes() {},
    done(digest) {
      out.write(`blob ${short(digest)}: downloaded ${human(sizes.get(digest) ?? 0)}\n`);
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
      out.write(`\x1b[2Kblob ${short(digest)}: ${r.state.padEnd(11)} ${human(r.got).padStart(10)} / ${human(r.size)} ${String(pct).padStart(3)}%\n`);
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
