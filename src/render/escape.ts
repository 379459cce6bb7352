// The one place where podgen quotes and escapes for systemd. Templates never
// quote; everything that ends up inside a unit line passes through here.
//
// Two layers matter (systemd.service(5), "Command lines"; systemd.unit(5), "Specifiers"):
//  1. word splitting: quotes and C escapes, as parse/splitWords.ts reads them back;
//  2. expansion: systemd replaces %x specifiers and $VAR / ${VAR} in Exec lines.
// Definition values are systemd text already (Quadlet semantics: %h, %i and
// $VAR keep their meaning), so only layer 1 is applied to them. Strings podgen
// wants to reach a process byte for byte also get layer 2 (literal()).

import { codePointName, firstInvalidCodePoint } from '../parse/systemdText';

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\f': '\\f',
  '\\': '\\\\',
  '"': '\\"',
};

function needsQuoting(word: string): boolean {
  if (word === '' || word === ';') return true;
  // Space, control characters, quotes and backslashes change how systemd splits a word.
  // eslint-disable-next-line no-control-regex
  return /[\s\x00-\x1f\x7f"'\\]/.test(word);
}

function escapeInQuotes(word: string): string {
  let out = '';
  for (const ch of word) {
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (ch.charCodeAt(0) < 0x20 || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** One word for an Exec line; systemd's splitter returns it unchanged. */
export function escapeExecWord(word: string): string {
  if (word.includes('\0')) throw new Error('a command-line argument cannot contain a NUL byte');
  const invalid = firstInvalidCodePoint(word);
  if (invalid !== undefined) throw new Error(`a command-line argument cannot contain ${codePointName(invalid)} (systemd refuses it)`);
  return needsQuoting(word) ? `"${escapeInQuotes(word)}"` : word;
}

/** A whole argument vector as the value of ExecStart= and friends. */
export function escapeExecArgs(argv: readonly string[]): string {
  return argv.map(escapeExecWord).join(' ');
}

/** Protect a literal string from systemd's specifier and variable expansion in Exec lines. */
export function literal(s: string): string {
  return s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
}

/**
 * A literal string as one word of a definition's exec-style value (Exec=,
 * Environment=, PodmanArgs=...): after Quadlet-style splitting and systemd's
 * expansion, the process receives exactly `s`.
 */
export function definitionWord(s: string): string {
  return escapeExecWord(literal(s));
}

/**
 * One word of a unit's small sh scripts. The word is unit-level text, where specifiers such as
 * %t still expand: a word that is not plainly safe goes in single quotes, so it stays one word
 * whatever the specifier expands to.
 */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_/.:=@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/**
 * One word of a space-separated list setting that systemd reads with plain unquoting
 * (extract_first_word with EXTRACT_UNQUOTE: RequiresMountsFor=, ...): quotes group, a backslash
 * takes the next character literally, C escapes do not apply. Specifiers still expand.
 */
export function listWord(word: string): string {
  if (/[\r\n\0]/.test(word)) throw new Error('a path in a unit list setting cannot contain a line break or NUL');
  return word === '' || /[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word;
}

/**
 * The same word as Quadlet spells it (whitespace as C escapes inside quotes: "/a\x20b"). systemd
 * 252 reads RequiresMountsFor= without C unescaping, so that spelling names "/ax20b" there; the
 * podman engine writes it beside listWord's (a requirement on a path that does not exist only
 * orders after the mounts of its parents), so the unit is both Quadlet's and right on systemd 252.
 */
export function quadletListWord(word: string): string {
  if (!/[\s"\\]/.test(word)) return word;
  const escaped = word.replace(/[\s"\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return `"${escaped}"`;
}

/** A value for a systemd setting that is not split into words (Description=, ...): one line, no continuation. */
export function singleLineValue(s: string): string {
  return s.replace(/\\$/, '\\\\').replace(/\r?\n/g, ' ');
}
