// ResourceDefinition + engine -> UnitPlan for .network, .volume, .image,
// .artifact, .pod, .kube and .build files. Pure. planUnit.ts does .container.

import type { Engine } from '../decode/decodeContainer';
import type { ResourceDefinition } from '../decode/decodeResource';
import { KIND_SECTION } from '../resolve/relatedUnits';
import { type PlanContext, type PlannedService, PlanProblems } from './context';
import { installSymlinks } from './installSymlinks';
import type { PlanResult } from './planUnit';
import { planPodmanArtifact, planPodmanImage, planPodmanNetwork, planPodmanVolume } from './podmanResources';
import { planPodmanBuild, planPodmanKube, planPodmanPod } from './podmanWorkloads';
import { serviceSkeleton } from './skeleton';

export function planResource(def: ResourceDefinition, engine: Engine, ctx: PlanContext, dropins: readonly string[]): PlanResult {
  const section = KIND_SECTION[def.kind];
  const problems = new PlanProblems(def.unit, section);
  if (engine === 'podgen') {
    problems.error(
      `the podgen engine cannot run .${def.kind} definitions yet`,
      '',
      'generate it with --engine podman: podgen then writes the unit the newest Quadlet would',
    );
    return { plan: undefined, diagnostics: problems.diagnostics };
  }
  const service = serviceSkeleton(def, ctx.user ? 'podman-user-wait-network-online.service' : 'network-online.target', problems, section);
  service.add('Unit', 'RequiresMountsFor', '%t/containers');
  const built: PlannedService = (() => {
    switch (def.kind) {
      case 'network':
        return planPodmanNetwork(def, service, ctx);
      case 'volume':
        return planPodmanVolume(def, service, ctx, problems);
      case 'image':
        return planPodmanImage(def, service, ctx);
      case 'artifact':
        return planPodmanArtifact(def, service, ctx);
      case 'pod':
        return planPodmanPod(def, service, ctx, problems);
      case 'kube':
        return planPodmanKube(def, service, ctx, problems);
      case 'build':
        return planPodmanBuild(def, service, ctx, problems);
      default: {
        const never: never = def.kind;
        throw new Error(`unknown kind ${String(never)}`);
      }
    }
  })();
  if (problems.diagnostics.some((d) => d.severity === 'error')) return { plan: undefined, diagnostics: problems.diagnostics };
  const unitName = `${def.serviceName}.service`;
  return {
    diagnostics: problems.diagnostics,
    plan: {
      engine,
      kind: def.kind,
      source: def.sourcePath,
      dropins,
      unitName,
      containerName: built.name,
      image: built.image,
      restartPolicy: undefined,
      sections: built.service.sections,
      companions: [],
      symlinks: installSymlinks(def.unit, unitName, undefined),
      warnings: [],
    },
  };
}
