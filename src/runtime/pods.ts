// podgen's pods without an infra process: a pod is a named network namespace
// (/run/netns/podgen-pod-NAME, kept alive by its bind mount, not by a
// process), attached to its networks and publishing its ports once; its
// containers join that namespace instead of making their own, so they talk
// over localhost and share the pod's address and ports. The pod's unit
// creates it at start and removes it at stop (BindsTo= stops the containers
// first). State: <runDir>/pods/NAME.json.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { writeAtomic } from '../files';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { jumpFirst, withIsolationLock } from './isolation';
import { attach, createNetns, DEFAULT_NETWORK, deleteNetns, detach, type NetworkDef, networkFor, stopUnfinishedAdds } from './network';
import { claimPorts } from './ports';
import type { PortMapping } from './runArgs';

export interface PodState {
  readonly name: string;
  readonly netns: string;
  readonly ip?: string;
  readonly hostname: string;
  readonly nets: Array<{ readonly def: NetworkDef; readonly ifname: string; result?: unknown }>;
}

export interface PodRequest {
  readonly name: string;
  readonly networks: readonly string[];
  readonly ports: readonly PortMapping[];
  readonly ip?: string;
  readonly aliases: readonly string[];
  readonly hostname?: string;
}

/** The pod's network namespace id: "pod-NAME" keeps it apart from a container of the same name. */
export const podNetnsId = (name: string): string => `pod-${name}`;

function stateFile(runDir: string, name: string): string {
  return path.join(runDir, 'pods', `${name}.json`);
}

/** The pod a prepared container is in, from its bundle's state (prepare writes network "pod:NAME"), or undefined. */
export function podOfBundle(bundle: string): string | undefined {
  try {
    const network = (JSON.parse(readIfExists(path.join(bundle, 'podgen-state.json')) ?? '{}') as { network?: unknown }).network;
    return typeof network === 'string' && network.startsWith('pod:') ? network.slice(4) : undefined;
  } catch {
    return undefined; // being rewritten: its container is starting or stopping
  }
}

export function loadPod(runDir: string, name: string): PodState | undefined {
  const text = readIfExists(stateFile(runDir, name));
  return text === undefined ? undefined : (JSON.parse(text) as PodState);
}

export function listPods(runDir: string): PodState[] {
  return listDir(path.join(runDir, 'pods'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadPod(runDir, f.slice(0, -5)))
    .filter((p): p is PodState => p !== undefined);
}

export async function createPod(runDir: string, storeRoot: string, req: PodRequest): Promise<PodState> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.name)) throw new PodgenError(`"${req.name}" is not a pod name`, { kind: 'usage' });
  // A pod started again (its unit restarted after a crash): what is left of it goes first.
  if (loadPod(runDir, req.name)) await removePod(runDir, req.name);
  const names = req.networks.length ? req.networks : ['bridge'];
  if (names.some((n) => n === 'host' || n === 'none')) throw new PodgenError('a podgen pod has its own network namespace: Network=host/none are not for pods', { kind: 'usage', hint: 'leave Network= out (the default bridge) or name bridge networks' });
  const defs = names.map((n) => networkFor(n, storeRoot));
  const ports = await claimPorts(req.ports, runDir, `pod ${req.name}`);
  const id = podNetnsId(req.name);
  fs.mkdirSync(path.join(runDir, 'pods'), { recursive: true });
  const state: PodState = { name: req.name, netns: await createNetns(id), hostname: req.hostname ?? req.name, nets: [] };
  let ip: string | undefined;
  try {
    for (const [i, def] of defs.entries()) {
      const entry: PodState['nets'][number] = { def, ifname: `eth${i}` };
      state.nets.push(entry);
      writeAtomic(stateFile(runDir, req.name), JSON.stringify(state));
      const attached = await attach(def, id, runDir, { ifname: entry.ifname, ports: i === 0 ? ports : [], ...(i === 0 && req.ip ? { ip: req.ip } : {}) }, (saved) => {
        entry.result = saved;
        writeAtomic(stateFile(runDir, req.name), JSON.stringify(state));
      });
      if (i === 0) ip = attached.ip;
    }
    if (defs.some((d) => d !== DEFAULT_NETWORK)) await withIsolationLock(jumpFirst);
  } catch (e) {
    await removePod(runDir, req.name).catch(() => undefined);
    throw e;
  }
  const done: PodState = { ...state, ...(ip ? { ip } : {}) };
  writeAtomic(stateFile(runDir, req.name), JSON.stringify(done));
  if (req.aliases.length) {
    fs.mkdirSync(path.join(runDir, 'aliases'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'aliases', id), `${[req.name, ...req.aliases].join('\n')}\n`);
  }
  return done;
}

/** Detach the pod from its networks and delete its namespace (nothing of it is left; a missing pod is no error). */
export async function removePod(runDir: string, name: string): Promise<void> {
  const state = loadPod(runDir, name);
  const id = podNetnsId(name);
  const problems: string[] = [];
  await stopUnfinishedAdds(id);
  for (const n of [...(state?.nets ?? [])].reverse()) {
    await detach(n.def, id, runDir, n.result, n.ifname).catch((e: unknown) => {
      if (n.result) problems.push((e as Error).message);
    });
  }
  await deleteNetns(id);
  fs.rmSync(path.join(runDir, 'aliases', id), { force: true });
  fs.rmSync(stateFile(runDir, name), { force: true });
  if (problems.length) throw new PodgenError(`removing pod ${name} was incomplete: ${problems.join('; ')}`, { kind: 'unavailable' });
}
