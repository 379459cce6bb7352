// ResourceDefinition + engine -> UnitPlan for .network, .volume, .image,
// .artifact, .pod, .kube and .build files. Pure. planUnit.ts does .container.

import type { Engine } from '../decode/decodeContainer';
import type { ResourceDefinition } from '../decode/decodeResource';
import { KIND_SECTION } from '../resolve/relatedUnits';
import { type PlanContext, type PlannedService, PlanProblems } from './context';
import { type PlanResult, planResult } from './planUnit';
import { planPodmanArtifact, planPodmanImage, planPodmanNetwork, planPodmanVolume } from './podmanResources';
import { planPodmanBuild, planPodmanKube, planPodmanPod } from './podmanWorkloads';
import { serviceSkeleton } from './skeleton';
import type { ServiceFile } from './serviceFile';
import { planPodgenImage, planPodgenNetwork, planPodgenPod, planPodgenVolume, refuseForPodgen } from './podgenResources';

export function planResource(def: ResourceDefinition, engine: Engine, ctx: PlanContext, dropins: readonly string[]): PlanResult {
  const section = KIND_SECTION[def.kind];
  const problems = new PlanProblems(def.unit, section);
  // A user manager cannot wait for network-online.target; podman's units use its helper service instead.
  const networkWait = ctx.user ? (engine === 'podman' ? 'podman-user-wait-network-online.service' : undefined) : 'network-online.target';
  const service = serviceSkeleton(def, networkWait, problems, section);
  if (engine === 'podgen') {
    const planned = planPodgenKind(def, service, ctx, problems);
    return planned ? finish(def, engine, planned, problems, dropins) : { plan: undefined, diagnostics: problems.diagnostics };
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

/** The podgen engine's unit for a kind, or undefined (refused, said in problems). */
function planPodgenKind(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService | undefined {
  switch (def.kind) {
    case 'network':
      return planPodgenNetwork(def, service, ctx, problems);
    case 'volume':
      return planPodgenVolume(def, service, ctx);
    case 'pod':
      return planPodgenPod(def, service, ctx, problems);
    case 'image':
      return planPodgenImage(def, service, ctx);
    case 'build':
    case 'kube':
    case 'artifact':
      return refuseForPodgen(def, problems);
    default: {
      const never: never = def.kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

function finish(def: ResourceDefinition, engine: Engine, built: PlannedService, problems: PlanProblems, dropins: readonly string[]): PlanResult {
  return planResult({ engine, kind: def.kind, def, dropins, built, problems, restartPolicy: undefined });
}
