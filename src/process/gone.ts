// Whether the process that left a lock, marker or temporary file behind is
// gone (exited, or killed with kill -9), so what it left may be cleaned up.

/** True when pid is a valid process id and no such process exists. */
export function processGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
