// systemd unit names (unit_name_is_valid() in systemd's unit-name.c): at most
// 255 characters with the suffix, only letters, digits and ":-_.\@", and not
// starting with "@" (the template separator). A definition's file name becomes
// its unit's name, so a file called "my web.container" cannot be a unit. Pure.

/** systemd's UNIT_NAME_MAX is 256 with the terminating NUL. */
export const UNIT_NAME_MAX = 255;
const VALID = /^[A-Za-z0-9:_.\\@-]$/;

function describeChar(ch: string): string {
  if (ch === ' ') return 'a space';
  const cp = ch.codePointAt(0) as number;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp < 0x20 || cp === 0x7f ? `the control character ${code}` : `"${ch}" (${code})`;
}

/** Why systemd would refuse NAME (a whole unit name such as "web.service"), or undefined. */
export function unitNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > UNIT_NAME_MAX) return `"${name.slice(0, 40)}..." is ${name.length} characters long; systemd's limit for a unit name is ${UNIT_NAME_MAX}`;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `"${name}" has no unit type suffix such as .service`;
  for (const ch of name.slice(0, dot)) {
    if (!VALID.test(ch)) return `"${name}" contains ${describeChar(ch)}; a unit name may only hold letters, digits and ":-_.\\@"`;
  }
  if (name.startsWith('@')) return `"${name}" starts with "@", which separates a template's name from its instance`;
  return undefined;
}

/** A spelling of STEM that is a valid unit name: each refused character becomes "-". */
export function unitNameSuggestion(stem: string): string {
  let out = '';
  for (const ch of stem) out += VALID.test(ch) ? ch : '-';
  return out.replace(/^@+/, '').slice(0, UNIT_NAME_MAX - '.service'.length) || 'container';
}
