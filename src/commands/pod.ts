// `podgen pod create|rm|ps`: pods of the podgen engine, which a .pod unit
// creates at start and removes at stop; by hand for scripts and debugging.

import * as path from 'node:path';
import { PodgenError } from '../errors';
import { preparedContainers, runtimeDir, runtimeHolds } from '../runtime/paths';
import { createPod, listPods, podOfBundle, type PodState, removePod } from '../runtime/pods';
import { publish } from '../runtime/runArgs';

function needRoot(): void {
  if (process.getuid?.() !== 0) throw new PodgenError('podgen pods need root for now (network namespaces, bridges)', { kind: 'auth', hint: 'run it as root, or use --engine podman for rootless pods' });
}

const podRunDir = (): string => path.join(runtimeDir(false), 'podgen');

export interface PodCreateArgs {
  readonly name: string;
  readonly network: readonly string[];
  readonly publish: readonly string[];
  readonly ip?: string;
  readonly networkAlias: readonly string[];
  readonly hostname?: string;
}

export async function podCreate(storeRoot: string, a: PodCreateArgs): Promise<PodState> {
  needRoot();
  return createPod(podRunDir(), storeRoot, {
    name: a.name,
    networks: a.network,
    ports: a.publish.flatMap((p) => publish(p)),
    aliases: a.networkAlias,
    ...(a.ip !== undefined ? { ip: a.ip } : {}),
    ...(a.hostname !== undefined ? { hostname: a.hostname } : {}),
  });
}

export async function podRm(name: string): Promise<void> {
  needRoot();
  const running = podMembers(name).filter((m) => m.running);
  if (running.length) throw new PodgenError(`pod ${name} has running containers: ${running.map((m) => m.name).join(', ')}`, { kind: 'usage', hint: 'stop the pod\'s unit (podgen stop NAME-pod), which stops them first' });
  await removePod(podRunDir(), name);
}

/** The containers prepared in a pod (from their bundle state), and whether the runtime holds them. */
export function podMembers(pod: string): Array<{ readonly name: string; readonly running: boolean }> {
  return preparedContainers(false)
    .filter((p) => podOfBundle(p.bundle) === pod)
    .map((p) => ({ name: p.name, running: runtimeHolds(p) }));
}

export function podRows(): Array<{ readonly name: string; readonly ip: string | undefined; readonly networks: readonly string[]; readonly ports: readonly string[]; readonly containers: ReadonlyArray<{ readonly name: string; readonly running: boolean }> }> {
  return listPods(podRunDir()).map((p) => ({
    name: p.name,
    ip: p.ip,
    networks: p.nets.map((n) => n.def.name),
    ports: ((p.nets[0]?.result as { portMappings?: Array<{ hostPort: number; containerPort: number; protocol: string; hostIP?: string }> } | undefined)?.portMappings ?? []).map(
      (m) => `${m.hostIP ? `${m.hostIP}:` : ''}${m.hostPort}->${m.containerPort}/${m.protocol}`,
    ),
    containers: podMembers(p.name),
  }));
}
