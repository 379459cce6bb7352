// Every value in a definition reaches the unit as systemd text, where systemd
// expands % specifiers; one it does not know drops the whole setting (an
// ExecStart= among them). Refuse those here, at their line, with the escaped
// spelling. [X-*] sections are ignored by systemd and [Quadlet] is podgen's own.

import type { Diagnostic } from '../errors';
import type { UnitFile } from '../parse/parseUnitFile';
import { UNIT_NAME_SPECIFIERS, UNIT_SPECIFIERS, unknownSpecifier } from '../values/specifier';
import { UNIT_NAME_KEYS } from './systemdKeys';
import { KIND_SECTION } from '../resolve/relatedUnits';

/** A kind's own section ([Container], [Network], ...) ends up in ExecStart= words, where systemd expands specifiers. */
const KIND_SECTIONS: ReadonlySet<string> = new Set(Object.values(KIND_SECTION));
const EXPANDED: Readonly<Record<string, string>> = {
  Unit: UNIT_SPECIFIERS,
  Service: UNIT_SPECIFIERS,
  Install: UNIT_NAME_SPECIFIERS,
  ...Object.fromEntries([...KIND_SECTIONS].map((s) => [s, UNIT_SPECIFIERS])),
};

export function checkSpecifiers(unit: UnitFile, diagnostics: Diagnostic[]): void {
  for (const section of unit.sections) {
    const sectionKnown = EXPANDED[section.name];
    if (sectionKnown === undefined) continue;
    for (const e of section.entries) {
      if (!e.value.includes('%')) continue;
      const unitNames = !KIND_SECTIONS.has(section.name) && UNIT_NAME_KEYS.has(e.key);
      const known = unitNames ? UNIT_NAME_SPECIFIERS : sectionKnown;
      const bad = unknownSpecifier(e.value, known);
      if (!bad) continue;
      const fixed = `${e.key}=${bad.fixed}`;
      diagnostics.push({
        severity: 'error',
        file: e.file,
        line: e.line,
        section: section.name,
        key: e.key,
        message:
          section.name === 'Install'
            ? `"${bad.specifier}" is not a specifier systemctl enable knows in [Install]: enabling the unit would fail`
            : unitNames
              ? `"${bad.specifier}" is not a specifier systemd expands in unit names: systemd would drop this ${e.key}= setting`
              : `"${bad.specifier}" is not a systemd specifier: systemd would drop this ${e.key}= setting`,
        hint: `write %% for a literal %${fixed.length <= 120 ? `: ${fixed}` : ''} (systemd.unit(5) lists the specifiers)`,
      });
    }
  }
}
