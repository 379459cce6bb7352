// Typed reads of a parsed unit file, with the exact semantics Quadlet gives
// each kind of key (pkg/systemd/parser/unitfile.go): last-wins scalars with
// surrounding double quotes stripped, lists where an empty assignment resets
// what came before, exec-style argument splitting, and KEY=VALUE maps.

import type { Entry, Section, UnitFile } from './parseUnitFile';
import { EXEC_FLAGS, STRV_FLAGS, SplitError, splitWords } from './splitWords';

export function findSection(unit: UnitFile, name: string): Section | undefined {
  return unit.sections.find((s) => s.name === name);
}

/** Every assignment of key, honouring "Key=" as a reset of the earlier ones. */
export function lookupAllEntries(unit: UnitFile, section: string, key: string): Entry[] {
  const s = findSection(unit, section);
  if (!s) return [];
  let out: Entry[] = [];
  for (const e of s.entries) {
    if (e.key !== key) continue;
    if (e.value === '') out = [];
    else out.push(e);
  }
  return out;
}

/** The last assignment of key whose value (trimmed) is value: where a message about that value belongs. */
export function lookupLastEntryWithValue(unit: UnitFile, section: string, key: string, value: string): Entry | undefined {
  return lookupAllEntries(unit, section, key).filter((e) => e.value.trim() === value).pop();
}

/** The last assignment of key (even an empty one), or undefined. */
export function lookupLastEntry(unit: UnitFile, section: string, key: string): Entry | undefined {
  const s = findSection(unit, section);
  if (!s) return undefined;
  for (let i = s.entries.length - 1; i >= 0; i--) {
    const e = s.entries[i] as Entry;
    if (e.key === key) return e;
  }
  return undefined;
}

export function hasKey(unit: UnitFile, section: string, key: string): boolean {
  return lookupLastEntry(unit, section, key) !== undefined;
}

/** Scalar value: last assignment, trailing space trimmed, one pair of surrounding double quotes removed. */
export function lookup(unit: UnitFile, section: string, key: string): string | undefined {
  const e = lookupLastEntry(unit, section, key);
  return e === undefined ? undefined : unquoteScalar(e.value);
}

export function unquoteScalar(raw: string): string {
  const v = raw.trimEnd();
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return v.slice(1, -1);
  return v;
}

/** Scalar that counts only when non-empty (Quadlet's `ok && len(v) > 0`). */
export function lookupNonEmpty(unit: UnitFile, section: string, key: string): string | undefined {
  const v = lookup(unit, section, key);
  return v === undefined || v === '' ? undefined : v;
}

export function lookupAll(unit: UnitFile, section: string, key: string): string[] {
  return lookupAllEntries(unit, section, key).map((e) => e.value);
}

/** Space-separated list, quotes removed, backslashes literal (systemd's strv keys). */
export function lookupAllStrv(unit: UnitFile, section: string, key: string): string[] {
  return lookupAll(unit, section, key).flatMap((v) => safeSplit(v, STRV_FLAGS));
}

/** Exec-style words of every assignment, concatenated. */
export function lookupAllArgs(unit: UnitFile, section: string, key: string): string[] {
  return lookupAll(unit, section, key).flatMap((v) => safeSplit(v, EXEC_FLAGS));
}

/** Exec-style words of the last assignment. */
export function lookupLastArgs(unit: UnitFile, section: string, key: string): string[] | undefined {
  const e = lookupLastEntry(unit, section, key);
  if (e === undefined) return undefined;
  try {
    return splitWords(e.value, EXEC_FLAGS);
  } catch (err) {
    if (err instanceof SplitError) return undefined;
    throw err;
  }
}

/** KEY=VALUE words of every assignment; later keys win; a bare word maps to null. */
export function lookupAllKeyVal(unit: UnitFile, section: string, key: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const v of lookupAll(unit, section, key)) {
    for (const word of safeSplit(v, EXEC_FLAGS)) {
      const eq = word.indexOf('=');
      if (eq === -1) out.set(word, null);
      else out.set(word.slice(0, eq), word.slice(eq + 1));
    }
  }
  return out;
}

export const TRUE_WORDS = ['1', 'yes', 'true', 'on', 'y', 't'];
export const FALSE_WORDS = ['0', 'no', 'false', 'off', 'n', 'f'];

/** systemd's parse_boolean(); undefined for anything else. */
export function parseBoolean(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (TRUE_WORDS.includes(l)) return true;
  if (FALSE_WORDS.includes(l)) return false;
  return undefined;
}

export function lookupBoolean(unit: UnitFile, section: string, key: string): boolean | undefined {
  const v = lookup(unit, section, key);
  if (v === undefined) return undefined;
  return parseBoolean(v) ?? false;
}

export function lookupBooleanOr(unit: UnitFile, section: string, key: string, dflt: boolean): boolean {
  return lookupBoolean(unit, section, key) ?? dflt;
}

/**
 * Split like Quadlet: a value with an unsupported escape is dropped whole.
 * The decoder has already reported it with its line number (an error for the
 * podgen engine, a warning for podman, whose Quadlet behaves the same way).
 */
export function safeSplit(v: string, flags: typeof EXEC_FLAGS): string[] {
  try {
    return splitWords(v, flags);
  } catch (e) {
    if (e instanceof SplitError) return [];
    throw e;
  }
}
