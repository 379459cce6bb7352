// Resource limits as docker run --ulimit and Quadlet's Ulimit= write them:
// TYPE=SOFT[:HARD], -1 or "unlimited" for no limit; "host" (podman) keeps the
// host's. The soft limit cannot exceed the hard one (setrlimit refuses it). Pure.

import { bad, ok, type Parsed } from './parsed';

/** The limits docker/go-units knows by name, each an RLIMIT_* of the same name. */
export const ULIMIT_TYPES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'] as const;

export interface Ulimit {
  readonly type: (typeof ULIMIT_TYPES)[number];
  /** -1: unlimited. */
  readonly soft: number;
  readonly hard: number;
}

export function parseUlimit(value: string): Parsed<Ulimit> {
  const m = /^([a-z]+)=(-?\d+|unlimited)(?::(-?\d+|unlimited))?$/.exec(value.trim());
  if (!m) return bad(`"${value}" is not a ulimit like nofile=1024:2048`);
  const type = ULIMIT_TYPES.find((t) => t === m[1]);
  if (!type) return bad(`"${m[1]}" in "${value}" is not a limit (${ULIMIT_TYPES.join(', ')})`);
  const n = (s: string): number => (s === 'unlimited' || s === '-1' ? -1 : Number(s));
  const soft = n(m[2] as string);
  const hard = m[3] === undefined ? soft : n(m[3]);
  if (soft < -1 || hard < -1) return bad(`"${value}": limits are 0 or more, or -1 (unlimited)`);
  if (hard !== -1 && (soft === -1 || soft > hard)) return bad(`"${value}": the soft limit is above the hard one`);
  return ok({ type, soft, hard });
}
