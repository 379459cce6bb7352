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

export interface Staged {
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
        makeDirs(dir);
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

/**
 * mkdir -p, one component at a time. Node's own recursive mkdir loops forever where mkdir(2)
 * keeps answering ENOENT for a parent that stat says exists (/proc/self/x): this is bounded by
 * the number of components.
 */
function makeDirs(dir: string): void {
  const parts = path.resolve(dir).split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    try {
      fs.mkdirSync(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(current).isDirectory()) throw e;
    }
  }
}

const TEMP = /\.podgen-(\d+)-\d+$/;

/** Temporary files of a podgen killed before it could rename them (kill -9) are removed. */
function removeAbandoned(dir: string, depth = 0): void {
  for (const n of listDir(dir)) {
    const m = TEMP.exec(n);
    if (m && processGone(Number(m[1]))) fs.rmSync(path.join(dir, n), { force: true });
    // The [Install] links' temporaries live in NAME.target.wants/ and the like.
    else if (depth === 0 && /\.(wants|requires|upholds)$/.test(n)) removeAbandoned(path.join(dir, n), 1);
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
        writeAll(fd, Buffer.from(o.text));
      } finally {
        fs.closeSync(fd);
      }
      for (const link of o.symlinks) {
        // The planner makes these from [Install] names it has checked; this is the last line of defence
        // against a link landing outside the output directory.
        if (path.isAbsolute(link.path) || link.path.split('/').includes('..')) {
          throw new PodgenError(`refusing the link ${link.path}: it would be outside ${dir}`, { kind: 'internal' });
        }
        const linkPath = path.join(dir, link.path);
        makeDirs(path.dirname(linkPath));
        const tempLink = `${linkPath}${tag}`;
        fs.symlinkSync(link.target, tempLink);
        staged.push({ temp: tempLink, final: linkPath });
      }
    }
    refuseDirectoriesInTheWay(staged);
  } catch (e) {
    for (const s of staged) fs.rmSync(s.temp, { force: true });
    throw e instanceof PodgenError ? e : outputError(dir, e, 'unit files');
  }
  replaceAll(dir, staged, tag);
  try {
    const dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // Directory fsync is best effort (not every file system supports it).
  }
  return staged.map((s) => s.final);
}

/** write(2) may take less than asked (a pipe, /proc, a signal): loop until all of it is written. */
function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error('the file system accepted no more bytes'), { code: 'EIO' });
    done += n;
  }
}

/** A directory where a unit or link goes would make rename(2) fail half-way: refuse before any rename. */
function refuseDirectoriesInTheWay(staged: readonly Staged[]): void {
  for (const s of staged) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(s.final);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      throw new PodgenError(`${s.final} is a directory, where podgen would write a unit file`, {
        kind: 'output',
        hint: 'move that directory away (or choose another --output); nothing was written',
      });
    }
  }
}

/**
 * Rename every staged file into place, all or none: the files they replace are kept as hard
 * links first, and put back if any rename fails, so a failure half-way leaves the directory as it
 * was (and no temporary file behind).
 */
export function replaceAll(dir: string, staged: readonly Staged[], tag: string): void {
  const backups = new Map<string, string>();
  let renamed = 0;
  try {
    for (const s of staged) {
      const backup = `${s.final}.old${tag}`;
      try {
        fs.linkSync(s.final, backup);
        backups.set(s.final, backup);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    for (const s of staged) {
      fs.renameSync(s.temp, s.final);
      renamed++;
    }
  } catch (e) {
    for (const s of staged.slice(0, renamed)) {
      const backup = backups.get(s.final);
      if (backup) fs.renameSync(backup, s.final);
      else fs.rmSync(s.final, { force: true });
    }
    for (const s of staged.slice(renamed)) fs.rmSync(s.temp, { force: true });
    for (const backup of backups.values()) fs.rmSync(backup, { force: true });
    throw outputError(dir, e, 'unit files');
  }
  for (const backup of backups.values()) fs.rmSync(backup, { force: true });
}

/**
 * A systemd generator's output: systemd hands the generator an empty directory of its own for
 * each run and reads it only when the generator has exited, so the staging writeUnits does for a
 * live unit directory (half of a generator pass's time over 1,000 units) buys nothing here.
 */
export function writeGeneratedUnits(dir: string, outputs: readonly UnitOutput[]): string[] {
  const written: string[] = [];
  const made = new Set<string>();
  for (const o of outputs) {
    const final = path.join(dir, o.unitName);
    fs.writeFileSync(final, o.text, { mode: 0o644 });
    written.push(final);
    for (const link of o.symlinks) {
      if (path.isAbsolute(link.path) || link.path.split('/').includes('..')) {
        throw new PodgenError(`refusing the link ${link.path}: it would be outside ${dir}`, { kind: 'internal' });
      }
      const linkPath = path.join(dir, link.path);
      const parent = path.dirname(linkPath);
      if (!made.has(parent)) {
        fs.mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      fs.symlinkSync(link.target, linkPath);
      written.push(linkPath);
    }
  }
  return written;
}
