// Values as systemd itself reads them in [Unit] and [Service] (not Quadlet's
// or podman's readings): booleans (parse_boolean) and absolute paths. Pure.

/** systemd's parse_boolean(): 1/yes/y/true/t/on and 0/no/n/false/f/off, in any case. */
export function parseSystemdBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return undefined;
}

/**
 * Why one path word is not what systemd takes, or undefined: each allowed prefix at most once and in
 * the order given ("|!" for conditions: "|!/x", never "!|/x"), then "/..." (or exactly "~" where home is).
 */
export function absolutePathProblem(word: string, prefixes: string, home: boolean): string | undefined {
  let i = 0;
  for (const p of prefixes) if (word[i] === p) i++;
  const path = word.slice(i);
  if (path.startsWith('/')) return undefined;
  if (home && path === '~') return undefined;
  return `"${word}" is not an absolute path${prefixes ? ` (optionally after ${[...prefixes].map((p) => `"${p}"`).join(' or ')})` : ''}`;
}
