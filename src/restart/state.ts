// A container's state the way Docker users read it (`docker ps`'s status,
// `docker inspect`'s State), from systemd's view of the unit and the restart
// manager's record. Pure: the caller brings both and the time.

import type { RestartRecord } from './record';

/** What systemd says about the unit (manage/unitStatus.ts reads it). */
export interface SystemdView {
  readonly activeState: string;
  readonly subState: string;
  readonly execMainStatus: number;
  /** µs since the epoch, 0 when never. */
  readonly mainStartTimestamp: number;
}

export interface HealthState {
  readonly Status: 'starting' | 'healthy' | 'unhealthy';
  readonly FailingStreak: number;
  readonly Log: ReadonlyArray<{ readonly Start: string; readonly End: string; readonly ExitCode: number; readonly Output: string }>;
}

/** docker inspect's State, as far as podgen knows it. */
export interface DockerState {
  readonly Status: 'created' | 'running' | 'restarting' | 'exited';
  readonly Running: boolean;
  readonly Restarting: boolean;
  readonly ExitCode: number;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  readonly RestartCount: number;
  readonly Health?: HealthState;
}

/** Docker's zero time, for "never". */
const NEVER = '0001-01-01T00:00:00Z';
const iso = (ms: number | undefined): string => (ms === undefined ? NEVER : new Date(ms).toISOString());

/** "3.2s", "45s", "5 min", "2 h", "3 days". */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** Docker's words for health in a status line: (healthy), (unhealthy), (health: starting). */
const healthWord = (h: HealthState): string => (h.Status === 'starting' ? 'health: starting' : h.Status);

/** The state, and the one-line summary `podgen ps` shows ("restarting (in 3.2s)", "gave up after 3 restarts", ...). */
export function containerState(s: SystemdView, r: RestartRecord | undefined, nowMs: number, health?: HealthState): { state: DockerState; summary: string } {
  const exitCode = r?.exitCode ?? s.execMainStatus;
  const started = r?.startedAt ?? (s.mainStartTimestamp > 0 ? Math.round(s.mainStartTimestamp / 1000) : undefined);
  const base = { ExitCode: exitCode, StartedAt: iso(started), FinishedAt: iso(r?.finishedAt), RestartCount: r?.restartCount ?? 0, ...(health ? { Health: health } : {}) };
  const exited = (summary: string): { state: DockerState; summary: string } => ({
    state: { ...base, Status: started === undefined && r?.finishedAt === undefined ? 'created' : 'exited', Running: false, Restarting: false },
    summary,
  });
  switch (s.activeState) {
    case 'active':
    case 'reloading':
    case 'deactivating':
      return {
        state: { ...base, Status: 'running', Running: true, Restarting: false },
        summary: s.activeState === 'deactivating' ? 'stopping' : health ? `running (${healthWord(health)})` : 'running',
      };
    case 'activating':
      if (r?.phase === 'waiting') {
        return { state: { ...base, Status: 'restarting', Running: true, Restarting: true }, summary: `restarting (in ${duration((r.restartAt ?? nowMs) - nowMs)})` };
      }
      return {
        state: { ...base, Status: r && r.restartCount > 0 ? 'restarting' : 'created', Running: false, Restarting: r !== undefined && r.restartCount > 0 },
        // Notify=healthy: the unit is activating while the container runs and its checks have not passed yet.
        summary: r?.phase === 'running' && health ? `starting (${healthWord(health)})` : 'starting',
      };
    default: {
      const code = r?.exitCode ?? s.execMainStatus;
      if (!r?.phase) return exited(s.activeState === 'failed' ? `exited (${code}), failed` : 'not started');
      switch (r.phase) {
        case 'gave-up':
          return exited(`gave up after ${r.restartCount} restart${r.restartCount === 1 ? '' : 's'}`);
        case 'stopped':
          return exited(r.exitCode === undefined ? 'stopped by hand' : `exited (${code}), stopped by hand`);
        case 'shutdown':
          return exited(`exited (${code}) at shutdown`);
        case 'starting':
        case 'running':
        case 'waiting':
        case 'exited':
          return exited(`exited (${code})${r.finishedAt ? ` ${duration(nowMs - r.finishedAt)} ago` : ''}`);
        default: {
          const never: never = r.phase;
          return never;
        }
      }
    }
  }
}
