// The typed result of planning: everything render and output need, and what
// `podgen generate --format json` prints for scripts.

import type { Engine } from '../decode/decodeContainer';
import type { Diagnostic } from '../errors';
import type { QuadletKind } from '../resolve/relatedUnits';
import type { PlanSection } from './serviceFile';

export interface Symlink {
  /** Relative to the unit directory, e.g. "multi-user.target.wants/nginx.service". */
  readonly path: string;
  /** Relative target, e.g. "../nginx.service". */
  readonly target: string;
}

export interface UnitPlan {
  readonly engine: Engine;
  /** What the definition file was: container, network, volume, pod, ... */
  readonly kind: QuadletKind;
  readonly source: string;
  readonly dropins: readonly string[];
  /** File name of the generated unit, e.g. "nginx.service" or "web@.service". */
  readonly unitName: string;
  /** The container's name before specifier expansion, e.g. "systemd-%N". */
  readonly containerName: string;
  readonly image: string | undefined;
  /** Docker spelling of the restart policy, or undefined when none was given. */
  readonly restartPolicy: string | undefined;
  readonly sections: readonly PlanSection[];
  /** Units that go with this one and are written, installed and removed with it (its health check's timer and service). */
  readonly companions: ReadonlyArray<{ readonly unitName: string; readonly sections: readonly PlanSection[] }>;
  /** [Install] applied the way `systemctl enable` would, for writing next to the unit. */
  readonly symlinks: readonly Symlink[];
  readonly warnings: readonly Diagnostic[];
}
