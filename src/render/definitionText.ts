// .container text from assignments (what `podgen import run` and `podgen run
// -d` write). Each value is escaped for how the decoder reads its key's shape
// (decode/containerKeys.ts), and protected from systemd's expansion (a "%" or
// "$" in a docker run value is literal), so the container receives exactly the
// value the assignment holds. Pure.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import { CONTAINER_KEY_INDEX } from '../decode/containerKeys';
import type { Assignment } from '../import/importRun';
import { definitionWord, literal, singleLineValue } from './escape';
import { TEMPLATES_DIR } from './renderUnit';

export interface DefinitionText {
  /** Comment lines at the top (without "# "). */
  readonly comments: readonly string[];
  readonly unit: ReadonlyArray<readonly [string, string]>;
  readonly container: readonly Assignment[];
  /** [Service] entries, already systemd text (podgen run -d --rm's own ExecStopPost=). */
  readonly service?: ReadonlyArray<readonly [string, string]>;
  /** [X-Podgen] entries (kept in the unit: where podgen reads a container's origin). */
  readonly extra?: ReadonlyArray<readonly [string, string]>;
}

function refuse(key: string, value: string, why: string): never {
  throw new Error(`${key}=${value.length > 60 ? `${value.slice(0, 60)}...` : value}: ${why}`);
}

/** A value as one line of its key's shape. */
export function assignmentLine(a: Assignment): string {
  const spec = CONTAINER_KEY_INDEX.get(a.key);
  if (!spec) throw new Error(`unknown key ${a.key}`);
  if ('words' in a) return a.words.map(definitionWord).join(' ');
  const v = a.value;
  if (/[\r\n\0]/.test(v)) refuse(a.key, v, 'a line break or NUL cannot be written in a unit file');
  switch (spec.shape) {
    case 'args':
    case 'keyval':
      return definitionWord(v);
    case 'words':
      // STRV reading: quotes group words, backslashes are literal.
      if (!/[\s"'\\]/.test(v)) return literal(v);
      if (v.includes('"')) refuse(a.key, v, 'a value with spaces and double quotes cannot be one word of this key');
      return `"${literal(v)}"`;
    case 'scalar':
      // One pair of surrounding double quotes is removed, and the value's own edges would be trimmed.
      return v !== v.trim() || /^".*"$/s.test(v) || v === '' ? `"${literal(v)}"` : literal(v);
    case 'list':
      if (v !== v.trim()) refuse(a.key, v, 'leading or trailing spaces would be lost');
      return literal(v);
    default: {
      const never: never = spec.shape;
      return never;
    }
  }
}

let compiled: HandlebarsTemplateDelegate | undefined;

/** One comment line: line breaks become spaces, and a trailing backslash goes (it would continue the line). */
const comment = (line: string): string => line.replace(/[\r\n]+/g, ' ').replace(/\\+$/, '');

export function renderDefinition(d: DefinitionText): string {
  compiled ??= Handlebars.compile(fs.readFileSync(path.join(TEMPLATES_DIR, 'definition.hbs'), 'utf8'), { noEscape: true, strict: true });
  const sections = [
    ...(d.unit.length ? [{ name: 'Unit', entries: d.unit.map(([key, v]) => ({ key, value: singleLineValue(v) })) }] : []),
    { name: 'Container', entries: d.container.map((a) => ({ key: a.key, value: assignmentLine(a) })) },
    ...(d.service?.length ? [{ name: 'Service', entries: d.service.map(([key, value]) => ({ key, value })) }] : []),
    ...(d.extra?.length ? [{ name: 'X-Podgen', entries: d.extra.map(([key, v]) => ({ key, value: singleLineValue(v) })) }] : []),
  ];
  return compiled({ comments: d.comments.map(comment), sections }).replace(/^\n/, '');
}

/** A .network or .volume definition: its section's entries (plain values, protected from systemd's expansion). */
export function renderResourceDefinition(section: 'Network' | 'Volume', d: Omit<DefinitionText, 'container'> & { readonly entries: ReadonlyArray<readonly [string, string]> }): string {
  compiled ??= Handlebars.compile(fs.readFileSync(path.join(TEMPLATES_DIR, 'definition.hbs'), 'utf8'), { noEscape: true, strict: true });
  const plain = (entries: ReadonlyArray<readonly [string, string]>): Array<{ key: string; value: string }> => entries.map(([key, v]) => ({ key, value: singleLineValue(v) }));
  const sections = [
    ...(d.unit.length ? [{ name: 'Unit', entries: plain(d.unit) }] : []),
    { name: section, entries: d.entries.map(([key, v]) => ({ key, value: literal(singleLineValue(v)) })) },
    ...(d.extra?.length ? [{ name: 'X-Podgen', entries: plain(d.extra) }] : []),
  ];
  return compiled({ comments: d.comments.map(comment), sections }).replace(/^\n/, '');
}
