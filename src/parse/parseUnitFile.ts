// Unit-file text -> ordered sections and entries, each with its line number.
// Follows systemd.syntax(7) and systemd 252's config_parse(): '#'/';' comments,
// trailing-backslash continuations (the backslash becomes a space; comment
// lines inside a continuation are skipped, a blank line ends it), repeated keys
// kept in order, whitespace around '=' trimmed. Values stay raw:
// quoting and escapes are applied later by the lookup that knows the key's type.

import type { Diagnostic } from '../errors';
import { codePointName, firstInvalidCodePoint } from './systemdText';

export interface Entry {
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export interface Section {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly entries: Entry[];
}

export interface UnitFile {
  /** Path the definition was read from ("" for text given directly). */
  readonly path: string;
  /** Base name, e.g. "nginx.container" or "web@.container". */
  readonly filename: string;
  readonly sections: Section[];
}

export interface ParseResult {
  readonly unit: UnitFile;
  readonly diagnostics: Diagnostic[];
}

const MAX_LINE_LENGTH = 1024 * 1024; // systemd's LONG_LINE_MAX

// systemd's WHITESPACE: only these four, not Unicode spaces such as U+00A0.
// A loop, not /\s+$/, whose backtracking is quadratic on long inner runs.
function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function trimWhitespace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWhitespace(s[start])) start++;
  while (end > start && isWhitespace(s[end - 1])) end--;
  return s.slice(start, end);
}

function firstNonWhitespace(s: string): string | undefined {
  for (const c of s) if (!isWhitespace(c)) return c;
  return undefined;
}

/** A final backslash continues the line unless a backslash escapes it: an odd run. */
function endsInContinuation(s: string): boolean {
  let run = 0;
  while (run < s.length && s[s.length - 1 - run] === '\\') run++;
  return run % 2 === 1;
}

/** True when the bytes do not look like a text file (NUL or invalid UTF-8). */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

export function parseUnitText(text: string, path: string, filename: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const sections: Section[] = [];
  const byName = new Map<string, Section>();
  let current: Section | undefined;
  const error = (line: number, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', file: path || filename, line, message, hint });
  };

  // systemd's read_line() ends a line at \n, \r\n or a lone \r; a UTF-8 BOM
  // before the first line is dropped.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  let pending: string | undefined;
  let pendingLine = 0;

  const handle = (line: string, lineNr: number): void => {
    if (line.length > MAX_LINE_LENGTH / 4 && Buffer.byteLength(line) > MAX_LINE_LENGTH) {
      error(lineNr, `line is longer than ${MAX_LINE_LENGTH} bytes`);
      return;
    }
    const invalid = firstInvalidCodePoint(line);
    if (invalid !== undefined) {
      error(lineNr, `line contains ${codePointName(invalid)}, a Unicode noncharacter systemd refuses in unit files`, 'remove or replace that character');
      return;
    }
    if (line[0] === '[') {
      const end = line.indexOf(']');
      if (end === -1 || line.slice(end + 1).trim() !== '') {
        error(lineNr, `malformed section header "${line}"`, 'a section header looks like [Container]');
        return;
      }
      const name = line.slice(1, end);
      if (name === '' || /[[\]\p{Cc}]/u.test(name)) {
        error(lineNr, `invalid section name "${name}"`);
        return;
      }
      // Repeated sections merge, as in systemd and Quadlet.
      current = byName.get(name);
      if (!current) {
        current = { name, file: path || filename, line: lineNr, entries: [] };
        sections.push(current);
        byName.set(name, current);
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      error(
        lineNr,
        `line "${truncate(line)}" is not a KEY=VALUE assignment, a [Section] header or a comment`,
        'comments start with # or ;',
      );
      return;
    }
    const key = trimWhitespace(line.slice(0, eq));
    const value = trimWhitespace(line.slice(eq + 1));
    if (!current) {
      error(lineNr, `key "${key}" appears before any [Section] header`, 'put it under [Container], [Unit], [Service] or [Install]');
      return;
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) {
      error(lineNr, `invalid key name "${truncate(key)}"`, 'key names contain only letters, digits, "_", "-" and "."');
      return;
    }
    current.entries.push({ key, value, file: path || filename, line: lineNr });
  };

  // The loop is systemd's config_parse(): a comment line is dropped even inside
  // a continuation; any other line, blank included, is appended raw (leading
  // whitespace kept), and a final unescaped backslash becomes a space and
  // continues the line. (Quadlet joins without the space; see
  // docs/definition.md, "Line continuations".)
  for (let i = 0; i < lines.length; i++) {
    const lineNr = i + 1;
    const raw = lines[i] as string;
    const lead = firstNonWhitespace(raw);
    if (lead === '#' || lead === ';') continue;
    const joined = pending === undefined ? raw : pending + raw;
    if (pending === undefined) pendingLine = lineNr;
    if (endsInContinuation(joined)) {
      pending = `${joined.slice(0, -1)} `;
      if (pending.length > MAX_LINE_LENGTH) {
        error(pendingLine, `continued line is longer than ${MAX_LINE_LENGTH} bytes`);
        return { unit: { path, filename, sections }, diagnostics };
      }
      continue;
    }
    pending = undefined;
    const line = trimWhitespace(joined);
    if (line !== '') handle(line, pendingLine);
  }
  if (pending !== undefined) {
    error(
      pendingLine,
      'backslash continuation runs into the end of the file; the value was never finished',
      'remove the trailing "\\" or add the continued line',
    );
  }
  // A file with no section header at all is not a unit file given by mistake (/etc/shadow, a
  // script): one error, and none of its lines echoed back.
  if (sections.length === 0 && diagnostics.length > 0) {
    return {
      unit: { path, filename, sections },
      diagnostics: [
        {
          severity: 'error',
          file: path || filename,
          message: `does not look like a unit file: none of its ${lines.length} lines is a [Section] header`,
          hint: 'a definition is systemd unit-file text, starting with [Container]; check the path',
        },
      ],
    };
  }
  return { unit: { path, filename, sections }, diagnostics };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
