// I/O edge: put rendered units into a directory atomically. Every file is
// written completely under a temporary name in the same directory, and only
// when all of them are ready are they renamed into place, so a failure (or a
// kill -9 at any point) never leaves a partial unit behind: rename(2) replaces
// the old file in one step. Durability across a power cut relies on the file
// system's replace-by-rename ordering (ext4 auto_da_alloc, xfs, btrfs) plus
// one fsync of the directory at the end; a per-file fsync cost 1.8 ms per
// unit here (docs/architecture.md, "Writing units").

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import type { Symlink } from '../plan/unitPlan';
import { processGone } from '../process/gone';
import { listDir } from '../resolve/readIfExists';

export interface UnitOutput {
  readonly unitName: string;
  readonly text: string;
  readonly symlinks: readonly Symlink[];
}

interface Staged {
  readonly temp: string;
  readonly final: string;
}

function outputError(dir: string, e: unknown, what: string): PodgenError {
  const err = e as NodeJS.ErrnoException;
  const hint =
    err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
      ? 'choose a writable directory with --output, or run as root for /etc/systemd/system'
      : err.code === 'ENOSPC'
        ? 'free some disk space'
        : undefined;
  return new PodgenError(`cannot write ${what} in ${dir}: ${err.message}`, { kind: 'output', hint, cause: e });
}

/** Fail early, before anything is written, when the directory is missing, not a directory, or not writable. */
export function checkOutputDir(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        fs.mkdirSync(dir, { recursive: true });
        return;
      } catch (e2) {
        throw outputError(dir, e2, 'the output directory');
      }
    }
    throw outputError(dir, e, 'the output directory');
  }
  if (!stat.isDirectory()) {
    throw new PodgenError(`output ${dir} is not a directory`, { kind: 'output', hint: 'give --output a directory' });
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw outputError(dir, e, 'files');
  }
}

const TEMP = /\.podgen-(\d+)-\d+$/;

/** Temporary files of a podgen killed before it could rename them (kill -9) are removed. */
function removeAbandoned(dir: string): void {
  for (const n of listDir(dir)) {
    const m = TEMP.exec(n);
    if (m && processGone(Number(m[1]))) fs.rmSync(path.join(dir, n), { force: true });
  }
}

export function writeUnits(dir: string, outputs: readonly UnitOutput[]): string[] {
  checkOutputDir(dir);
  removeAbandoned(dir);
  const staged: Staged[] = [];
  const tag = `.podgen-${process.pid}-${Date.now()}`;
  try {
    for (const o of outputs) {
      const final = path.join(dir, o.unitName);
      const temp = `${final}${tag}`;
      const fd = fs.openSync(temp, 'wx', 0o644);
      staged.push({ temp, final });
      try {
        fs.writeSync(fd, o.text);
      } finally {
        fs.closeSync(fd);
      }
      for (const link of o.symlinks) {
        const linkPath = path.join(dir, link.path);
        fs.mkdirSync(path.dirname(linkPath), { recursive: true });
        const tempLink = `${linkPath}${tag}`;
        fs.symlinkSync(link.target, tempLink);
        staged.push({ temp: tempLink, final: linkPath });
      }
    }
  } catch (e) {
    for (const s of staged) fs.rmSync(s.temp, { force: true });
    throw outputError(dir, e, 'unit files');
  }
  for (const s of staged) fs.renameSync(s.temp, s.final);
  try {
    const dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // Directory fsync is best effort (not every file system supports it).
  }
  return staged.map((s) => s.final);
}
