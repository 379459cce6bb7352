// systemd's % specifiers. systemd 252 expands them in almost every setting of
// a unit file, and a % before a letter or digit it does not know is not left
// alone: the setting is dropped ("Failed to resolve unit specifiers ...:
// Invalid slot"), and for ExecStart= that leaves a unit systemd refuses to
// start. A % before anything else (punctuation, space, the end) stays literal.
//
// The two tables were measured on systemd 252 (Debian 12): every letter and
// digit through `systemd-analyze verify` for unit settings and unit-name
// settings (After=, Wants=, ...), and through `systemctl --root=DIR enable`
// for [Install]; unit names and [Install] expand the same smaller set.

/** Letters systemd 252 expands in unit settings (%c %r %R are deprecated, but still accepted). */
export const UNIT_SPECIFIERS = 'abcdfghijlmnopqrstuvwyABCEGHIJLMNPRSTUVWY';
/** Letters systemd expands in unit names: dependency settings (After=, Wants=, ...) and [Install] (WantedBy=, Alias=, ...). */
export const UNIT_NAME_SPECIFIERS = 'abgijlmnopquvwABGHMNUW';

export interface UnknownSpecifier {
  /** e.g. "%F" */
  readonly specifier: string;
  /** The text with every unknown specifier's % doubled, which is what the user most likely meant. */
  readonly fixed: string;
}

/** The first % sequence systemd would refuse in text, and the text with such %s escaped; undefined when all are fine. */
export function unknownSpecifier(text: string, known: string): UnknownSpecifier | undefined {
  let first: string | undefined;
  let fixed = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '%') {
      fixed += c;
      continue;
    }
    const next = text[i + 1];
    if (next !== undefined && /^[A-Za-z0-9]$/.test(next) && !known.includes(next)) {
      first ??= `%${next}`;
      fixed += '%%';
      continue;
    }
    // %% or a known specifier: copy both characters; a % before anything else stays literal.
    fixed += next === undefined ? c : c + next;
    i++;
  }
  return first === undefined ? undefined : { specifier: first, fixed };
}

/**
 * What systemd puts in place of each specifier, as a typical value of its kind (an instance name
 * may be anything, so a number). Used to tell whether a value with specifiers can be valid at all:
 * StopTimeout=%i can (web@30), StopTimeout=%h/x cannot (%h is a home directory).
 */
const SAMPLES: Readonly<Record<string, string>> = {
  a: 'x86-64', b: '0123456789abcdef0123456789abcdef', c: '/system.slice/web.service', d: '/run/credentials/web.service', f: '/web',
  g: 'root', h: '/root', i: '1', j: '1', l: 'host', m: '0123456789abcdef0123456789abcdef', n: 'web.service', o: 'debian', p: 'web',
  q: 'host', r: '/system.slice', s: '/bin/sh', t: '/run', u: 'root', v: '6.1.0-13-amd64', w: '12', y: '/etc/systemd/system/web.service',
  A: 'image', B: '20230101', C: '/var/cache', E: '/etc', G: '0', H: 'host', I: '1', J: '1', L: '/var/log', M: '1', N: 'web', P: 'web',
  R: '/', S: '/var/lib', T: '/tmp', U: '0', V: '/var/tmp', W: 'server', Y: '/etc/systemd/system',
};

/** The text with %% undone and every known specifier replaced by a typical expansion. */
export function sampleExpansion(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '%' && next !== undefined && (next === '%' || SAMPLES[next] !== undefined)) {
      out += next === '%' ? '%' : SAMPLES[next];
      i++;
    } else out += c;
  }
  return out;
}

/**
 * What a check finds in a value systemd will expand, judged on its typical expansion; a problem
 * only the expansion shows says so, and what the expansion looks like.
 */
export function problemsOnceExpanded(value: string, problems: (text: string) => readonly string[]): string[] {
  const expanded = sampleExpansion(value);
  const found = problems(expanded);
  return expanded === value ? [...found] : found.map((p) => `${p}, once systemd expands "${value}" (to text like "${expanded}")`);
}
