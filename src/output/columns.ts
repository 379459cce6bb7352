// Tables as podman prints them: aligned columns, two spaces apart. Pure.

import { maxOf } from '../arrays';

/** The rows as aligned lines (the first row is the header); trailing spaces trimmed. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => maxOf(rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => `${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`).join('');
}
