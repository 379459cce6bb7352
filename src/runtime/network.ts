// Bridge networking through Debian's containernetworking-plugins (CNI):
// a named network namespace per container, then the plugin chain bridge
// (with host-local IPAM) -> portmap -> firewall, and loopback; teardown runs
// the chain backwards with the saved result (CNI DEL), so no veth, iptables
// rule or lease is left. Containers on one network find each other by name
// through an /etc/hosts that podgen rewrites for every member on each change.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { run } from '../process/run';
import { listDir } from '../resolve/readIfExists';
import type { PortMapping } from './runArgs';
import { DEFAULT_SUBNET, loadNetwork } from './networkStore';

export const CNI_PATH = process.env.PODGEN_CNI_PATH ?? '/usr/lib/cni';

export interface NetworkDef {
  readonly name: string;
  /** The Linux bridge (at most 15 characters). */
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  /** host-local's range inside the subnet (CIDR), when narrower than the subnet. */
  readonly ipRange?: string;
  /** Dual stack (IPv6=true or an IPv6 Subnet=): the IPv6 subnet, gateway and range. */
  readonly subnet6?: string;
  readonly gateway6?: string;
  readonly ipRange6?: string;
  /** No default route, no masquerade; the isolation chain drops what would leave the bridge. */
  readonly internal?: boolean;
  readonly mtu?: number;
  readonly dns?: readonly string[];
}

/** The default network (Docker's "bridge"). */
export const DEFAULT_NETWORK: NetworkDef = { name: 'podgen', bridge: 'podgen0', subnet: DEFAULT_SUBNET, gateway: '10.90.0.1' };

export function isDefaultNetwork(name: string): boolean {
  return name === 'bridge' || name === 'podgen' || name === 'default';
}

/** The default network, or a named one from the store (created by its .network unit or podgen network create). */
export function networkFor(name: string, storeRoot: string): NetworkDef {
  if (isDefaultNetwork(name)) return DEFAULT_NETWORK;
  const named = loadNetwork(storeRoot, name);
  if (named) return named;
  throw new PodgenError(`network "${name}" does not exist`, {
    kind: 'not-found',
    hint: 'start the unit of its .network definition (Requires= does it for containers that name it), or: podgen network create NAME',
  });
}

export interface Attached {
  readonly netns: string;
  readonly ip: string;
  /** What DEL needs: the chain's final result and the port mappings. */
  readonly result: unknown;
}

function conflist(net: NetworkDef, dataDir: string): Array<Record<string, unknown>> {
  const ranges = [[{ subnet: net.ipRange ?? net.subnet, gateway: net.gateway }], ...(net.subnet6 ? [[{ subnet: net.ipRange6 ?? net.subnet6, gateway: net.gateway6 }]] : [])];
  const routes = net.internal ? [] : [{ dst: '0.0.0.0/0' }, ...(net.subnet6 ? [{ dst: '::/0' }] : [])];
  return [
    {
      type: 'bridge',
      bridge: net.bridge,
      isGateway: true,
      // An internal network has no way out: no masquerade and no default route.
      ipMasq: !net.internal,
      hairpinMode: true,
      ...(net.mtu ? { mtu: net.mtu } : {}),
      ipam: { type: 'host-local', ranges, routes, dataDir },
    },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    { type: 'firewall', backend: 'iptables' },
  ];
}

async function invoke(command: 'ADD' | 'DEL', plugin: Record<string, unknown>, net: NetworkDef, container: string, netns: string, ifname: string, extra: Record<string, unknown>, cniArgs = ''): Promise<unknown> {
  const binary = path.join(CNI_PATH, String(plugin.type));
  if (!fs.existsSync(binary)) {
    throw new PodgenError(`the CNI plugin ${binary} is missing`, { kind: 'unavailable', hint: 'apt-get install containernetworking-plugins (or use Network=host / none)' });
  }
  const config = { cniVersion: '1.0.0', name: net.name, ...plugin, ...extra };
  const r = await run(['env', `CNI_COMMAND=${command}`, `CNI_CONTAINERID=${container}`, `CNI_NETNS=${netns}`, `CNI_IFNAME=${ifname}`, `CNI_PATH=${CNI_PATH}`, `CNI_ARGS=${cniArgs}`, binary], {
    input: JSON.stringify(config),
    allowFailure: true,
  });
  if (r.status !== 0) {
    let msg = r.stdout.trim() || r.stderr.trim();
    try {
      const e = JSON.parse(r.stdout) as { msg?: string; details?: string };
      msg = [e.msg, e.details].filter(Boolean).join(': ');
    } catch {
      // not JSON: keep the raw text
    }
    throw new PodgenError(`network ${command === 'ADD' ? 'set-up' : 'teardown'} failed in CNI plugin ${String(plugin.type)}: ${msg}`, {
      kind: command === 'ADD' && /port|address already in use|bind/i.test(msg) ? 'usage' : 'unavailable',
      command: [binary],
      exitStatus: r.status,
      stderr: r.stderr,
    });
  }
  return r.stdout.trim() ? (JSON.parse(r.stdout) as unknown) : undefined;
}

/** The container's network namespace, fresh (a stale one from a killed start is replaced). */
export async function createNetns(container: string): Promise<string> {
  const nsName = `podgen-${container}`;
  const netns = `/run/netns/${nsName}`;
  if (fs.existsSync(netns)) await run(['ip', 'netns', 'delete', nsName], { allowFailure: true });
  await run(['ip', 'netns', 'add', nsName]);
  await run(['ip', '-n', nsName, 'link', 'set', 'lo', 'up']);
  return netns;
}

export async function deleteNetns(container: string): Promise<void> {
  await run(['ip', 'netns', 'delete', `podgen-${container}`], { allowFailure: true });
}

export interface AttachOptions {
  /** eth0 for the first network, eth1 for the second, ... */
  readonly ifname: string;
  /** Published ports (on the first network only). */
  readonly ports: readonly PortMapping[];
  /** A fixed address (IP=), given to host-local through CNI_ARGS. */
  readonly ip?: string;
}

/** Attach the container's namespace (createNetns) to a bridge network, publishing ports. */
export async function attach(net: NetworkDef, container: string, runDir: string, opts: AttachOptions, progress: (saved: Attached['result']) => void): Promise<Attached> {
  const netns = `/run/netns/podgen-${container}`;
  const dataDir = path.join(runDir, 'cni', 'networks');
  const portMappings = opts.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIp ? { hostIP: p.hostIp } : {}) }));
  const cniArgs = opts.ip ? `IgnoreUnknown=1;IP=${opts.ip}` : '';
  const done: Array<{ plugin: Record<string, unknown>; prev: unknown }> = [];
  let prev: unknown;
  // What DEL needs is saved before each plugin runs: a kill -9 at any point leaves enough for
  // cleanup (portmap deletes only the mappings it is told of, firewall only the IPs it is given).
  progress({ prev, portMappings });
  try {
    for (const plugin of conflist(net, dataDir)) {
      const extra: Record<string, unknown> = { ...(prev ? { prevResult: prev } : {}), ...(plugin.type === 'portmap' ? { runtimeConfig: { portMappings } } : {}) };
      const result = await invoke('ADD', plugin, net, container, netns, opts.ifname, extra, cniArgs);
      done.push({ plugin, prev });
      prev = result ?? prev;
      progress({ prev, portMappings });
    }
  } catch (e) {
    // Undo what was set up, newest first, so a failed start leaves nothing behind.
    for (const d of done.reverse()) {
      await invoke('DEL', d.plugin, net, container, netns, opts.ifname, { prevResult: prev, ...(d.plugin.type === 'portmap' ? { runtimeConfig: { portMappings } } : {}) }).catch(() => undefined);
    }
    throw e;
  }
  const ips = (prev as { ips?: Array<{ address?: string }> } | undefined)?.ips ?? [];
  const ip = ips[0]?.address?.split('/')[0];
  if (!ip) throw new PodgenError(`the bridge plugin gave ${container} no address on ${net.name}`, { kind: 'internal' });
  return { netns, ip, result: { prev, portMappings } };
}

/**
 * CNI ADDs that a killed `podgen prepare` left running: nothing kills a dead parent's children,
 * so a plugin (portmap, with its iptables) could finish adding rules after teardown removed
 * them. They carry the container in their environment; stop them before tearing down.
 */
export async function stopUnfinishedAdds(container: string): Promise<void> {
  const adding = (pid: string): boolean => {
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      return env.includes('CNI_COMMAND=ADD') && env.includes(`CNI_CONTAINERID=${container}`);
    } catch {
      return false; // gone, or not ours to read
    }
  };
  const pids = listDir('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid && adding(p));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const deadline = Date.now() + 2000; pids.some((p) => fs.existsSync(`/proc/${p}`)) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
}

/** Tear down what attach did on one network; tolerant of half-done and already-done states (kill -9, reboot). */
export async function detach(net: NetworkDef, container: string, runDir: string, saved: unknown, ifname = 'eth0'): Promise<void> {
  const netns = `/run/netns/podgen-${container}`;
  const dataDir = path.join(runDir, 'cni', 'networks');
  const s = (saved ?? {}) as { prev?: unknown; portMappings?: unknown[] };
  const problems: string[] = [];
  for (const plugin of conflist(net, dataDir).reverse()) {
    const extra: Record<string, unknown> = { ...(s.prev ? { prevResult: s.prev } : {}), ...(plugin.type === 'portmap' ? { runtimeConfig: { portMappings: s.portMappings ?? [] } } : {}) };
    // CNI DEL must succeed on missing state; a netns that is already gone is passed as "".
    await invoke('DEL', plugin, net, container, fs.existsSync(netns) ? netns : '', ifname, extra).catch((e: unknown) => problems.push((e as Error).message));
  }
  if (problems.length) throw new PodgenError(`network teardown of ${container} on ${net.name} was incomplete: ${problems.join('; ')}`, { kind: 'unavailable' });
}

/** name -> IP of every container holding a lease on the network (host-local writes one file per IP holding the container id). */
export function members(networkName: string, runDir: string): Map<string, string> {
  return new Map([...memberAddresses(networkName, runDir)].map(([id, ips]) => [id, ips[0] as string]));
}

/** name -> every address (IPv4 first, then IPv6) of each container holding leases on the network. */
export function memberAddresses(networkName: string, runDir: string): Map<string, string[]> {
  const dir = path.join(runDir, 'cni', 'networks', networkName);
  const out = new Map<string, string[]>();
  for (const f of listDir(dir).sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')))) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(f) && !/^[0-9a-f:]+$/i.test(f)) continue;
    const id = (fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/)[0] ?? '').trim();
    if (id) out.set(id, [...(out.get(id) ?? []), f]);
  }
  return out;
}
