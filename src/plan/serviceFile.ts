// An in-memory unit file being built: ordered sections of ordered KEY=VALUE
// lines. Planners start from a copy of the definition (as Quadlet does, so
// [Unit], [Service] and [Install] pass through) and add what the engine needs.

import { appendAll } from '../arrays';
import type { UnitFile } from '../parse/parseUnitFile';
import { unquoteScalar } from '../parse/lookup';
import { escapeExecArgs } from '../render/escape';

export interface PlanEntry {
  readonly key: string;
  readonly value: string;
}

export interface PlanSection {
  readonly name: string;
  readonly entries: PlanEntry[];
}

export class ServiceFile {
  readonly sections: PlanSection[] = [];

  static copyOf(unit: UnitFile): ServiceFile {
    const f = new ServiceFile();
    for (const s of unit.sections) {
      f.sections.push({ name: s.name, entries: s.entries.map((e) => ({ key: e.key, value: e.value })) });
    }
    return f;
  }

  section(name: string): PlanSection {
    let s = this.sections.find((x) => x.name === name);
    if (!s) {
      s = { name, entries: [] };
      this.sections.push(s);
    }
    return s;
  }

  add(section: string, key: string, value: string): void {
    this.section(section).entries.push({ key, value });
  }

  /** Argument vector as one Exec line, quoted so systemd splits it back into exactly these words; prefix: "-" (failure ignored), ... */
  addCommand(section: string, key: string, argv: readonly string[], prefix = ''): void {
    this.add(section, key, `${prefix}${escapeExecArgs(argv)}`);
  }

  /** The same, as the first line of key (ahead of the definition's own). */
  prependCommand(section: string, key: string, argv: readonly string[]): void {
    this.prepend(section, key, escapeExecArgs(argv));
  }

  prepend(section: string, key: string, value: string): void {
    this.section(section).entries.unshift({ key, value });
  }

  /** Replace the last assignment of key, or add one. */
  set(section: string, key: string, value: string): void {
    const entries = this.section(section).entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      if ((entries[i] as PlanEntry).key === key) {
        entries[i] = { key, value };
        return;
      }
    }
    entries.push({ key, value });
  }

  unset(section: string, key: string): void {
    const s = this.sections.find((x) => x.name === section);
    if (!s) return;
    const kept = s.entries.filter((e) => e.key !== key);
    s.entries.length = 0;
    appendAll(s.entries, kept);
  }

  /**
   * Whether the unit sets key to something. An empty assignment (`Restart=`) resets the setting to
   * systemd's default, so it counts as unset: podgen's own value must still go in after it.
   */
  has(section: string, key: string): boolean {
    const raw = this.lookupRaw(section, key);
    return raw !== undefined && raw.trim() !== '';
  }

  lookupRaw(section: string, key: string): string | undefined {
    const s = this.sections.find((x) => x.name === section);
    if (!s) return undefined;
    for (let i = s.entries.length - 1; i >= 0; i--) {
      const e = s.entries[i] as PlanEntry;
      if (e.key === key) return e.value;
    }
    return undefined;
  }

  lookup(section: string, key: string): string | undefined {
    const raw = this.lookupRaw(section, key);
    return raw === undefined ? undefined : unquoteScalar(raw);
  }

  /** Rename a section, merging into an existing one of the new name. */
  rename(from: string, to: string): void {
    const i = this.sections.findIndex((x) => x.name === from);
    if (i === -1) return;
    const src = this.sections[i] as PlanSection;
    const dst = this.sections.find((x) => x.name === to);
    if (dst) {
      appendAll(dst.entries, src.entries);
      this.sections.splice(i, 1);
    } else {
      this.sections[i] = { name: to, entries: src.entries };
    }
  }
}
