// `podgen network create|rm|ls|inspect`: podgen's named bridge networks, which
// the podgen engine's .network units create at start and remove at stop
// (down). A network in use is never removed; removing one leaves no bridge,
// lease or isolation rule behind.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { run } from '../process/run';
import { dropIsolation, syncIsolation, withIsolationLock } from '../runtime/isolation';
import { isRootless, runtimeDir } from '../runtime/paths';
import { DEFAULT_NETWORK, members, type NetworkDef } from '../runtime/network';
import { removeRootlessBridge } from '../runtime/rootlessNetwork';
import { deleteNetworkFile, listNetworks, loadNetwork, type NamedNetwork, type NetworkRequest, planNetwork, saveNetwork } from '../runtime/networkStore';

// Not root (isRootless): the user's own networks (rootlessNetwork.ts), bridges in their network
// user namespace, with no firewall rules to keep (nothing leaves a rootless bridge but through
// each container's pasta).

/** Create the network, or confirm it when it exists with the same settings (a unit's start, again and again). */
export async function createNetwork(storeRoot: string, req: NetworkRequest): Promise<{ network: NamedNetwork; created: boolean }> {
  return isRootless() ? createLocked(storeRoot, req) : withIsolationLock(() => createLocked(storeRoot, req));
}

/** The firewall's isolation rules for these networks (root's bridges only). */
async function isolate(nets: readonly NetworkDef[]): Promise<void> {
  if (isRootless()) return;
  if (nets.length > 1) await syncIsolation(nets);
  else await dropIsolation();
}

async function createLocked(storeRoot: string, req: NetworkRequest): Promise<{ network: NamedNetwork; created: boolean }> {
  const existing = loadNetwork(storeRoot, req.name);
  const others = listNetworks(storeRoot);
  // Started again without Subnet=: the subnets chosen the first time stay (containers may hold their addresses).
  const given = req.subnets.map((t) => (t.includes(':') ? 6 : 4));
  const keep = existing ? [...(given.includes(4) ? [] : [existing.subnet]), ...(given.includes(6) || !existing.subnet6 || !req.ipv6 ? [] : [existing.subnet6])] : [];
  const planned = planNetwork(keep.length && req.gateways.length === 0 && req.ipRanges.length === 0 ? { ...req, subnets: [...req.subnets, ...keep] } : req, others);
  if (existing && JSON.stringify(existing) === JSON.stringify(planned)) {
    // After a reboot the file is there but the rules are not: they are put back on every start.
    await isolate([DEFAULT_NETWORK, ...others]);
    return { network: existing, created: false };
  }
  if (existing && members(existing.name, leasesRunDir()).size > 0) {
    throw new PodgenError(`network ${req.name} is in use and its settings changed`, { kind: 'usage', hint: `stop its containers, then start it again (podgen down/up)` });
  }
  saveNetwork(storeRoot, planned);
  await isolate([DEFAULT_NETWORK, ...listNetworks(storeRoot)]);
  return { network: planned, created: true };
}

/** Where the leases are (/run/podgen, or the user's runtime directory; PODGEN_RUN_DIR for tests). */
function leasesRunDir(): string {
  return path.join(runtimeDir(isRootless()), 'podgen');
}

export async function removeNetwork(storeRoot: string, name: string, opts: { readonly ifExists: boolean }): Promise<boolean> {
  return isRootless() ? removeLocked(storeRoot, name, opts) : withIsolationLock(() => removeLocked(storeRoot, name, opts));
}

async function removeLocked(storeRoot: string, name: string, opts: { readonly ifExists: boolean }): Promise<boolean> {
  const net = loadNetwork(storeRoot, name);
  if (!net) {
    if (opts.ifExists) return false;
    throw new PodgenError(`network ${name} does not exist`, { kind: 'not-found', hint: 'podgen network ls lists them' });
  }
  const runDir = leasesRunDir();
  const users = [...members(name, runDir).keys()];
  if (users.length > 0) throw new PodgenError(`network ${name} is in use by ${users.join(', ')}`, { kind: 'usage', hint: 'stop those containers first (podgen stop NAME, or down)' });
  // The bridge made at the first attach (CNI's, or the user's in their network namespace), and the leases directory.
  if (isRootless()) await removeRootlessBridge(net);
  else await run(['ip', 'link', 'delete', net.bridge], { allowFailure: true });
  fs.rmSync(path.join(runDir, 'cni', 'networks', name), { recursive: true, force: true });
  deleteNetworkFile(storeRoot, name);
  await isolate([DEFAULT_NETWORK, ...listNetworks(storeRoot)]);
  return true;
}

export function networkRows(storeRoot: string): Array<NamedNetwork & { readonly containers: readonly string[] }> {
  const runDir = leasesRunDir();
  return listNetworks(storeRoot).map((n) => ({ ...n, containers: [...members(n.name, runDir).keys()] }));
}
