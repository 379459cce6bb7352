// ContainerDefinition + engine -> UnitPlan. Pure: the context carries the few
// facts about the machine that planning needs.

import type { ContainerDefinition, Engine } from '../decode/decodeContainer';
import { describeRestartPolicy } from '../restart/policy';
import type { Diagnostic } from '../errors';
import { type PlanContext, type PlannedService, PlanProblems } from './context';
import type { QuadletKind } from '../resolve/relatedUnits';
import type { UnitFile } from '../parse/parseUnitFile';
import { installSymlinks } from './installSymlinks';
import { planPodgen } from './podgenEngine';
import { planPodman } from './podmanEngine';
import type { UnitPlan } from './unitPlan';
import type { PlanSection } from './serviceFile';
import { lookupAll } from '../parse/lookup';

export interface PlanResult {
  readonly plan: UnitPlan | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function planUnit(def: ContainerDefinition, engine: Engine, ctx: PlanContext, dropins: readonly string[]): PlanResult {
  const problems = new PlanProblems(def.unit);
  const built = (() => {
    switch (engine) {
      case 'podman':
        return planPodman(def, ctx, problems);
      case 'podgen':
        return planPodgen(def, ctx, problems);
      default: {
        const never: never = engine;
        throw new Error(`unknown engine ${String(never)}`);
      }
    }
  })();
  for (const service of [built.service, ...(built.companions ?? []).map((c) => c.service)]) refuseLongLines(service.sections, problems);
  return planResult({ engine, kind: 'container', def, dropins, built, problems, restartPolicy: def.restart ? describeRestartPolicy(def.restart) : undefined });
}

/** The plan of a planned service of any kind, or the problems that stop it. */
export function planResult(p: {
  readonly engine: Engine;
  readonly kind: QuadletKind;
  readonly def: { readonly unit: UnitFile; readonly sourcePath: string; readonly serviceName: string };
  readonly dropins: readonly string[];
  readonly built: PlannedService;
  readonly problems: PlanProblems;
  readonly restartPolicy: string | undefined;
}): PlanResult {
  const { def, built, problems } = p;
  if (problems.diagnostics.some((d) => d.severity === 'error')) return { plan: undefined, diagnostics: problems.diagnostics };
  const unitName = `${def.serviceName}.service`;
  return {
    diagnostics: problems.diagnostics,
    plan: {
      engine: p.engine,
      kind: p.kind,
      source: def.sourcePath,
      dropins: p.dropins,
      unitName,
      containerName: built.name,
      image: built.image,
      restartPolicy: p.restartPolicy,
      sections: built.service.sections,
      companions: (built.companions ?? []).map((c) => ({ unitName: c.unitName, sections: c.service.sections })),
      symlinks: installSymlinks(def.unit, unitName, built.wantedBy),
      warnings: [],
    },
  };
}

/** systemd's LONG_LINE_MAX: a longer line makes the whole unit fail to load. */
export const SYSTEMD_LINE_MAX = 1024 * 1024;

/** A line systemd cannot read (tens of thousands of Environment= words make an ExecStart= that long) is an error here. */
function refuseLongLines(sections: readonly PlanSection[], problems: PlanProblems): void {
  for (const section of sections) {
    for (const e of section.entries) {
      const bytes = Buffer.byteLength(e.key) + 1 + Buffer.byteLength(e.value);
      if (bytes <= SYSTEMD_LINE_MAX) continue;
      const biggest = ['Environment', 'Label', 'Annotation', 'Exec', 'PodmanArgs'].find((k) => lookupAll(problems.unit, 'Container', k).length > 0) ?? 'Exec';
      problems.error(
        `the unit's ${e.key}= line would be ${bytes} bytes, more than systemd reads in one line (${SYSTEMD_LINE_MAX}): it would refuse the whole unit`,
        biggest,
        'move long lists of variables to an EnvironmentFile= (read when the container starts)',
      );
      return;
    }
  }
}
