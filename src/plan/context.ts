// What planning needs to know about the machine, handed in by the CLI so the
// planners stay pure (and tests can pass fakes).

import type { Diagnostic } from '../errors';
import { lookupLastEntry, lookupLastEntryWithValue } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';

export interface PlanContext {
  /** Generating for a user manager (--user) rather than the system manager. */
  readonly user: boolean;
  /** podman binary used in ExecStart (Quadlet honours $PODMAN the same way). */
  readonly podmanPath: string;
  /** How a unit calls podgen itself: e.g. ["/usr/bin/node", "/opt/podgen/build/src/cli/entry.js"]. */
  readonly podgenCommand: readonly string[];
  /** Absolute paths of the OCI runtimes. */
  readonly runtimePaths: Readonly<Record<'runc' | 'crun', string>>;
  /** podgen-unit (native/), when it was built: runc units start in one exec, and the restart manager runs. */
  readonly nativeHelper?: string;
  /** Used only for AddDevice=-/dev/x (skip the device when absent, as Quadlet does). */
  readonly fileExists: (path: string) => boolean;
  /** What the installed systemd makes of rendered units (manage/analyze.ts); absent where there is no systemd. */
  readonly verifyUnits?: UnitVerifier;
}

/** One line of a rendered unit that systemd would not read as written. */
export interface UnitComplaint {
  readonly unitName: string;
  /** The line of the unit file (1-based). */
  readonly line: number;
  readonly message: string;
  /** A deprecated setting that still works (systemd says "please use ... instead"). */
  readonly deprecated: boolean;
}

export type UnitVerifier = (units: ReadonlyArray<{ readonly unitName: string; readonly text: string }>) => UnitComplaint[];

/** What an engine's planner hands back. */
export interface PlannedService {
  readonly service: import('./serviceFile').ServiceFile;
  /** The container's name before specifier expansion. */
  readonly name: string;
  readonly image: string | undefined;
  /** A target the restart policy made the unit wanted by (no [Install] of its own). */
  readonly wantedBy: string | undefined;
  /** Units that go with this one (its health check's timer and service). */
  readonly companions?: ReadonlyArray<import('./health').CompanionUnit>;
}

/** Collects problems found while planning (references that cannot be resolved, ...). */
export class PlanProblems {
  readonly diagnostics: Diagnostic[] = [];
  /** kindSection: where keys are looked for unless told otherwise ([Container], [Network], ...). */
  constructor(
    readonly unit: UnitFile,
    private readonly kindSection = 'Container',
  ) {}
  /** Record an error located at the last assignment of key in section (or the last one whose value is `value`). */
  error(message: string, key: string, hint?: string, section = this.kindSection, value?: string): void {
    this.add('error', message, key, hint, section, value);
  }

  /** Record an error at a given place (a section header, when no key is to blame). */
  errorAt(message: string, at: { readonly file: string; readonly line: number } | undefined, hint?: string): void {
    this.diagnostics.push({ severity: 'error', file: at?.file ?? (this.unit.path || this.unit.filename), line: at?.line, message, hint });
  }

  /** Record a warning (the unit is still written). */
  warning(message: string, key: string, hint?: string, section = this.kindSection): void {
    this.add('warning', message, key, hint, section);
  }

  private add(severity: 'error' | 'warning', message: string, key: string, hint: string | undefined, section: string, value?: string): void {
    const at = (value === undefined ? undefined : lookupLastEntryWithValue(this.unit, section, key, value)) ?? lookupLastEntry(this.unit, section, key);
    this.diagnostics.push({
      severity,
      file: at?.file ?? (this.unit.path || this.unit.filename),
      line: at?.line,
      section,
      key,
      message,
      hint,
    });
  }
}
