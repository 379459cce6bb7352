// Unit-file text -> ordered sections and entries, each with its line number.
// Follows systemd.syntax(7) and Quadlet's parser: '#'/';' comments, trailing
// backslash continuations (comment lines inside a continuation are skipped),
// repeated keys kept in order, whitespace around '=' trimmed. Values stay raw:
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

function isComment(line: string): boolean {
  return line.length === 0 || line[0] === '#' || line[0] === ';';
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

  const lines = text.replace(/\n$/, '').split('\n');
  let pending = '';
  let pendingLine = 0;

  const handle = (line: string, lineNr: number): void => {
    if (line.length > MAX_LINE_LENGTH) {
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
    const key = line.slice(0, eq).trimEnd();
    const value = line.slice(eq + 1).trimStart();
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

  for (let i = 0; i < lines.length; i++) {
    const lineNr = i + 1;
    const line = (lines[i] as string).trim();
    if (isComment(line)) {
      // A comment (or blank line) inside a continuation is skipped, not a terminator.
      continue;
    }
    if (line.endsWith('\\')) {
      if (pending === '') pendingLine = lineNr;
      pending += line.slice(0, -1);
      continue;
    }
    if (pending !== '') {
      handle(pending + line, pendingLine);
      pending = '';
      continue;
    }
    handle(line, lineNr);
  }
  if (pending !== '') {
    error(
      pendingLine,
      'backslash continuation runs into the end of the file; the value was never finished',
      'remove the trailing "\\" or add the continued line',
    );
  }
  return { unit: { path, filename, sections }, diagnostics };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
