// ContainerDefinition + engine -> UnitPlan. Pure: the context carries the few
// facts about the machine that planning needs.

import type { ContainerDefinition, Engine } from '../decode/decodeContainer';
import { describeRestartPolicy } from '../restart/policy';
import type { Diagnostic } from '../errors';
import { type PlanContext, PlanProblems } from './context';
import { installSymlinks } from './installSymlinks';
import { planPodgen } from './podgenEngine';
import { planPodman } from './podmanEngine';
import type { UnitPlan } from './unitPlan';

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
  if (problems.diagnostics.some((d) => d.severity === 'error')) return { plan: undefined, diagnostics: problems.diagnostics };
  const unitName = `${def.serviceName}.service`;
  return {
    diagnostics: problems.diagnostics,
    plan: {
      engine,
      source: def.sourcePath,
      dropins,
      unitName,
      containerName: built.name,
      image: built.image,
      restartPolicy: def.restart ? describeRestartPolicy(def.restart) : undefined,
      sections: built.service.sections,
      companions: (built.companions ?? []).map((c) => ({ unitName: c.unitName, sections: c.service.sections })),
      symlinks: installSymlinks(def.unit, unitName, built.wantedBy),
      warnings: [],
    },
  };
}
