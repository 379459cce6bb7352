// What systemd said of a rendered unit, told at the definition's line: a
// rendered line is found again among the definition's entries (same section,
// key and value), which carry their file and line (drop-ins included). A line
// podgen wrote itself that systemd would ignore is podgen's bug, and says so.

import type { Diagnostic } from '../errors';
import { lookupLastEntryWithValue } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import type { UnitComplaint } from './context';
import { isUnsupportedServiceKey } from '../decode/decodeContainer';

/** The section header above a line of unit text. */
function sectionAt(lines: readonly string[], index: number): string {
  for (let i = index; i >= 0; i--) {
    const m = /^\[([^\]]+)\]\s*$/.exec(lines[i] as string);
    if (m) return m[1] as string;
  }
  return '';
}

/** quadletLenient: --engine podman, which takes what Quadlet takes (see warnUnsupportedServiceKeys). */
export function complaintDiagnostic(c: UnitComplaint, unitText: string, definition: UnitFile, sourcePath: string, quadletLenient = false): Diagnostic {
  const lines = unitText.split('\n');
  const rendered = lines[c.line - 1] ?? '';
  const section = sectionAt(lines, c.line - 1);
  const eq = rendered.indexOf('=');
  const key = eq > 0 ? rendered.slice(0, eq).trim() : '';
  const value = eq > 0 ? rendered.slice(eq + 1).trim() : '';
  const entry = key ? lookupLastEntryWithValue(definition, section, key, value) : undefined;
  if (c.deprecated) {
    return { severity: 'warning', file: entry?.file ?? sourcePath, line: entry?.line, section, key, message: `${key}= still works, but systemd says: ${c.message}` };
  }
  if (entry) {
    return {
      severity: quadletLenient && isUnsupportedServiceKey(section, key) ? 'warning' : 'error',
      file: entry.file,
      line: entry.line,
      section,
      key,
      message: `${key}=: systemd would ignore this line: ${c.message}`,
      hint: 'systemd-analyze verify says so of the unit podgen would write; see systemd.unit(5), systemd.service(5)',
    };
  }
  return {
    severity: 'error',
    file: sourcePath,
    message: `line ${c.line} of the generated ${c.unitName} (${rendered.length > 120 ? `${rendered.slice(0, 120)}...` : rendered}) is one systemd would ignore: ${c.message}`,
    hint: 'podgen wrote that line itself: please report it (podgen --version, the definition); nothing was written',
  };
}
