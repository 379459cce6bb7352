// What several command groups of the CLI share: a systemd connection under
// podgen's manage lock, pulling an image with progress, and the report and
// table printers.

import { alignColumns } from '../output/columns';
import { defaultStoreRoot } from '../image/store';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { definitionKind } from '../resolve/relatedUnits';

export const EXIT_CODES = `Exit codes:
  0   success
  1   usage error (unknown command or option, bad arguments)
  65  a definition is invalid (every problem is listed as file:line: message), or
      downloaded data failed verification
  66  a definition or image was not found or cannot be read
  69  a registry or systemd cannot be reached, a store is locked, or a unit did not come up
  70  internal error (please report it)
  73  the output directory or image store cannot be written
  77  a registry refused access`;

// Options several commands share, defined once.
export const USER_OPTION = { type: 'boolean' as const, default: false, describe: 'your user manager (systemctl --user) and per-user directories' };
export const TIMEOUT_OPTION = { type: 'number' as const, describe: 'seconds to wait for systemd to finish the jobs (default 300); on expiry podgen says which are still pending' };
export const GRACE_OPTION = { alias: 't', type: 'number' as const, describe: 'seconds between the stop signal and SIGKILL for this stop (docker stop -t; default: the definition\'s StopTimeout=, else 10)' };

/** Rows as aligned columns (the first row is the header), as podman's tables. */
export function printTable(rows: readonly (readonly string[])[]): void {
  process.stdout.write(alignColumns(rows));
}

export type Reports = ReadonlyArray<import('../commands/lifecycle').UnitReport>;

export function printReports(reports: Reports): void {
  for (const r of reports) {
    const st = r.status;
    const state = st ? `${st.activeState}/${st.subState}${st.mainPid ? `, pid ${st.mainPid}` : ''}` : 'unknown';
    const container = r.container ? `${r.container}; ` : '';
    if (r.ok) process.stdout.write(`${r.unit}: ${r.job ?? 'already running'} (${container}${state})\n`);
    else {
      // A unit that is restarting has had Result and ExecMainStatus reset: the record says how it went.
      const restarts = r.restartCount ? `, ${r.restartCount} restart${r.restartCount === 1 ? '' : 's'}` : st && st.nRestarts > 0 ? ` NRestarts=${st.nRestarts}` : '';
      const why = st ? ` (${container}ActiveState=${st.activeState} SubState=${st.subState} Result=${st.result} ExecMainStatus=${st.execMainStatus}${restarts})` : ' (not started)';
      process.stdout.write(`${r.unit}: ${r.job ?? 'not running'}${why}\n`);
      if (r.journal) process.stdout.write(`${r.journal.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
    }
  }
}

/** The lock that serialises podgen commands changing units (two `podgen up` at once both end correct). */
function manageLockPath(user: boolean): string {
  const runtime = user ? process.env.XDG_RUNTIME_DIR || `/tmp/podgen-${process.getuid?.() ?? 'user'}` : '/run';
  return `${runtime}/podgen/manage.lock`;
}

export async function withSystemd<T>(user: boolean, fn: (s: import('../manage/systemd').SystemdManager) => Promise<T>, lock = false): Promise<T> {
  const { connectSystemd } = await import('../manage/systemd');
  const systemd = await connectSystemd(user);
  try {
    if (!lock) return await fn(systemd);
    const { withLockFile } = await import('../output/lockFile');
    return await withLockFile(manageLockPath(user), 'changing units', () => fn(systemd), 10 * 60_000);
  } finally {
    systemd.close();
  }
}

/** An image in the store, pulled (and unpacked, as root) when missing; progress on stderr. */
export async function ensureImage(image: string, user: boolean, quiet: boolean): Promise<void> {
  const { pullIfMissing, SILENT } = await import('../image/pull');
  const { forgetPreparedBundles } = await import('../runtime/kept');
  const { lineProgress, ttyProgress } = await import('./progress');
  await pullIfMissing({
    image,
    onRecorded: () => forgetPreparedBundles(user),
    storeRoot: defaultStoreRoot(user),
    progress: quiet ? SILENT : process.stderr.isTTY ? ttyProgress(process.stderr) : lineProgress(process.stderr),
    unpack: true,
    onPull: () => {
      if (!quiet) process.stderr.write(`pulling ${image}\n`);
    },
  });
}

/** --timeout SECONDS as milliseconds (undefined: the default, 5 minutes). */
export function timeoutMs(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new PodgenError(`--timeout takes a positive number of seconds${Number.isNaN(seconds) ? '' : ` (got ${seconds})`}`, { kind: 'usage', hint: 'e.g. --timeout 30' });
  return seconds * 1000;
}

/** The definition files (every Quadlet kind) in DIR, as paths, sorted; an error when DIR cannot be read or holds none. */
export function definitionFilesIn(dir: string): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => definitionKind(f) !== undefined).sort();
  } catch (e) {
    throw new PodgenError(`cannot read ${dir}: ${(e as Error).message}`, { kind: 'not-found' });
  }
  if (files.length === 0) throw new PodgenError(`${dir} holds no definitions (.container, .network, .volume, .pod, .image, ...)`, { kind: 'not-found' });
  return files.map((f) => path.join(dir, f));
}

/** After installing --user units: lingering, and limits whose controller the user manager lacks (warnings only). */
export async function warnForUserUnits(units: ReadonlyArray<{ readonly unit: string; readonly path: string }>): Promise<void> {
  const { controllerWarningsFor, readUnitTexts } = await import('../commands/delegation');
  const texts = readUnitTexts(units);
  // Only units that start at boot ([Install]) care whether the user manager does.
  if (texts.some((u) => /^\[Install\]/m.test(u.text))) await warnIfNotLingering();
  for (const w of controllerWarningsFor(texts, process.getuid?.() ?? 0)) process.stderr.write(`podgen: warning: ${w}\n`);
}

/** --user units start at boot only when the user lingers: say so after installing them (never fails the command). */
async function warnIfNotLingering(): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  try {
    const { connectLogin } = await import('../manage/login');
    const login = await connectLogin();
    try {
      if (await login.lingering(uid)) return;
    } finally {
      login.close();
    }
    process.stderr.write(`podgen: warning: lingering is off for uid ${uid}: these --user containers start when you log in, not at boot\n  hint: podgen linger (asks systemd-logind to start your user manager at boot)\n`);
  } catch (e) {
    process.stderr.write(`podgen: warning: cannot tell whether lingering is on (${(e as Error).message}); without it --user containers start only at login\n`);
  }
}
