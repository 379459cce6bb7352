// Signals by name (any case, with or without SIG: term, SIGTERM, SigKill),
// number (1-64) or real-time offset (RTMIN+3), as podman takes them; the
// canonical name is how systemd and runc want them written. Pure.

import { bad, ok, type Parsed } from './parsed';

const NAMES = [
  '', 'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS',
] as const;
const RTMIN = 34;
const RTMAX = 64;

export interface Signal {
  /** SIGTERM, SIGRTMIN+3: the spelling systemd's KillSignal= and runc take (32 and 33, which glibc keeps for itself and names nothing, as numbers). */
  readonly name: string;
  readonly number: number;
}

function byNumber(n: number): Signal {
  if (n < NAMES.length) return { name: `SIG${NAMES[n] as string}`, number: n };
  if (n < RTMIN) return { name: String(n), number: n };
  return { name: n === RTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - RTMIN}`, number: n };
}

export function parseSignal(v: string): Parsed<Signal> {
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= RTMAX ? ok(byNumber(n)) : bad(`signal number ${s} is out of range (1-${RTMAX})`);
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const i = NAMES.indexOf(name as (typeof NAMES)[number]);
  if (i > 0) return ok(byNumber(i));
  const rt = /^RTM(IN|AX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'IN' ? RTMIN : RTMAX;
    const n = base + (rt[3] === undefined ? 0 : (rt[2] === '+' ? 1 : -1) * Number(rt[3]));
    if (n >= RTMIN && n <= RTMAX) return ok(byNumber(n));
  }
  return bad(`"${v}" is not a signal; write a name like SIGTERM (or TERM) or a number`);
}
