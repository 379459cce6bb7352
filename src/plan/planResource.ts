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
import { planPodgenImage, planPodgenNetwork, planPodgenVolume, refuseForPodgen } from './podgenResources';

export function planResource(def: ResourceDefinition, engine: Engine, ctx: PlanContext, dropins: readonly string[]): PlanResult {
  const section = KIND_SECTION[def.kind];
  const problems = new PlanProblems(def.unit, section);
  if (engine === 'podgen' && def.kind !== 'image' && def.kind !== 'network' && def.kind !== 'volume') {
    refuseForPodgen(def, problems);
    return { plan: undefined, diagnostics: problems.diagnostics };
  }
  // A user manager cannot wait for network-online.target; podman's units use its helper service instead.
  const networkWait = ctx.user ? (engine === 'podman' ? 'podman-user-wait-network-online.service' : undefined) : 'network-online.target';
  const service = serviceSkeleton(def, networkWait, problems, section);
  if (engine === 'podgen') {
    const planned =
      def.kind === 'network' ? planPodgenNetwork(def, service, ctx, problems) : def.kind === 'volume' ? planPodgenVolume(def, service, ctx) : planPodgenImage(def, service, ctx);
    return finish(def, engine, planned, problems, dropins);
  }
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
  return finish(def, engine, built, problems, dropins);
}

function finish(def: ResourceDefinition, engine: Engine, built: PlannedService, problems: PlanProblems, dropins: readonly string[]): PlanResult {
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
