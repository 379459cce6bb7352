// The systemd journal of a unit, read with journalctl (the one reader that
// knows every journal file format): its last lines for error messages, or
// all of it on the terminal for `podgen logs`.

import { run, runAttached } from '../process/run';

export function journalctl(unit: string, user: boolean, extra: readonly string[]): string[] {
  // PODGEN_JOURNAL_ROOT reads another root's journal (the test sandbox's).
  const root = process.env.PODGEN_JOURNAL_ROOT;
  return ['journalctl', ...(root ? [`--root=${root}`] : []), ...(user ? ['--user'] : []), '-u', unit, '--no-pager', ...extra];
}

/** The unit's last journal lines. */
export async function journalTail(unit: string, lines: number, user: boolean): Promise<string> {
  const r = await run(journalctl(unit, user, ['-n', String(lines), '-o', 'short-iso']), { allowFailure: true });
  return r.stdout.trim();
}

/** The unit's journal on our terminal (follow, count, since); journalctl's exit status. */
export function showJournal(unit: string, user: boolean, extra: readonly string[]): Promise<number> {
  return runAttached(journalctl(unit, user, extra));
}
