// Building blocks of a podman command line as Quadlet writes them, shared by
// the planners of every kind: podman with its global options, then flags
// read from the definition's own section by table. Pure.

import { lookup, lookupAll, lookupAllArgs, lookupBoolean, lookupNonEmpty } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import type { PlanContext } from './context';
import type { ServiceFile } from './serviceFile';

/** podman plus its global options (ContainersConfModule=, GlobalArgs=). */
export function basePodman(unit: UnitFile, section: string, ctx: PlanContext): string[] {
  return [ctx.podmanPath, ...lookupAll(unit, section, 'ContainersConfModule').map((m) => `--module=${m}`), ...lookupAllArgs(unit, section, 'GlobalArgs')];
}

/** A command line being built from one section's keys. */
export class PodmanArgs {
  readonly argv: string[];
  constructor(
    private readonly unit: UnitFile,
    private readonly section: string,
    base: readonly string[],
  ) {
    this.argv = [...base];
  }

  add(...words: string[]): this {
    this.argv.push(...words);
    return this;
  }

  /** `--flag VALUE` for each non-empty scalar key. */
  strings(table: ReadonlyArray<readonly [string, string]>): this {
    for (const [key, flag] of table) {
      const v = lookupNonEmpty(this.unit, this.section, key);
      if (v !== undefined) this.argv.push(flag, v);
    }
    return this;
  }

  /** `--flag VALUE` once per assignment. */
  lists(table: ReadonlyArray<readonly [string, string]>): this {
    for (const [key, flag] of table) for (const v of lookupAll(this.unit, this.section, key)) this.argv.push(flag, v);
    return this;
  }

  /** `--flag` or `--flag=false` for a boolean key that is set. */
  booleans(table: ReadonlyArray<readonly [string, string]>): this {
    for (const [key, flag] of table) {
      const b = lookupBoolean(this.unit, this.section, key);
      if (b !== undefined) this.argv.push(b ? flag : `${flag}=false`);
    }
    return this;
  }

  /** PodmanArgs=, which Quadlet puts after every flag it writes itself. */
  podmanArgs(): this {
    this.argv.push(...lookupAllArgs(this.unit, this.section, 'PodmanArgs'));
    return this;
  }
}

/** Type=oneshot, RemainAfterExit=yes (when asked) and SyslogIdentifier=%N, each unless the definition set it. */
export function oneshotDefaults(service: ServiceFile, remainAfterExit: boolean): void {
  // The default syslog identifier is the exec's base name (podman), which says nothing here.
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');
  if (!service.has('Service', 'Type')) service.set('Service', 'Type', 'oneshot');
  if (remainAfterExit && !service.has('Service', 'RemainAfterExit')) service.set('Service', 'RemainAfterExit', 'yes');
}

/** The value of a scalar key Quadlet reads as a uint32 (0 when it does not parse, as Quadlet's). */
export function lookupUint32(unit: UnitFile, section: string, key: string): number {
  const v = lookup(unit, section, key) ?? '';
  return /^\d+$/.test(v) && Number(v) <= 0xffffffff ? Number(v) : 0;
}

/**
 * The containers with Pod=this.pod (and StartWithPod, the default) start when the pod does: one
 * Wants=/Before= line naming them all, as podman's own tests read it (the last line holds every one).
 */
export function wantPodMembers(service: ServiceFile, members: readonly string[]): void {
  if (members.length === 0) return;
  service.add('Unit', 'Wants', members.join(' '));
  service.add('Unit', 'Before', members.join(' '));
}
