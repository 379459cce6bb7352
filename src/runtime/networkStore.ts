// podgen's named bridge networks (.network definitions, `podgen network
// create`): one JSON file each under <store>/networks, read by prepare and
// cleanup. The default network (podgen0, Docker's "bridge") is not stored.
// Subnets are checked against each other here, so two networks never
// overlap; a subnet left out is the first free 10.91.N.0/24 (IPv6: a ULA /64
// from the name's hash).

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { readIfExists, listDir } from '../resolve/readIfExists';
import { writeAtomic } from '../files';
import { bigintToIp, contains, parseSubnet, type Subnet, subnetsOverlap } from '../values/subnet';
import type { NetworkDef } from './network';

/** A stored network: what CNI needs (network.ts's NetworkDef, with IPv6 when asked) and its own settings. */
export interface NamedNetwork extends NetworkDef {
  /** No way out: no default route, no masquerade, nothing forwarded off the bridge. */
  readonly internal: boolean;
  readonly dns: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** The default network (Docker's "bridge"): built in, never stored. */
export const DEFAULT_SUBNET = '10.90.0.0/16';

export function networksDir(storeRoot: string): string {
  return path.join(storeRoot, 'networks');
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A bridge name for a network: its own InterfaceName=, else pg- and a hash of the name (IFNAMSIZ is 16). */
export function bridgeNameFor(name: string): string {
  return `pg-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

export function loadNetwork(storeRoot: string, name: string): NamedNetwork | undefined {
  if (!VALID_NAME.test(name)) return undefined;
  const text = readIfExists(path.join(networksDir(storeRoot), `${name}.json`));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as NamedNetwork;
  } catch {
    throw new PodgenError(`the network file of ${name} is damaged`, { kind: 'unavailable', file: path.join(networksDir(storeRoot), `${name}.json`), hint: `podgen network rm ${name}, then create it again` });
  }
}

export function listNetworks(storeRoot: string): NamedNetwork[] {
  return listDir(networksDir(storeRoot))
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadNetwork(storeRoot, f.slice(0, -5)))
    .filter((n): n is NamedNetwork => n !== undefined);
}

export interface NetworkRequest {
  readonly name: string;
  /** Subnet=, Gateway=, IPRange= by position: at most one IPv4 and one IPv6 subnet. */
  readonly subnets: readonly string[];
  readonly gateways: readonly string[];
  readonly ipRanges: readonly string[];
  /** IPv6=true: dual stack, with a generated ULA /64 when no IPv6 subnet is given. */
  readonly ipv6: boolean;
  readonly internal: boolean;
  readonly interfaceName?: string;
  readonly mtu?: number;
  readonly dns: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

const usage = (message: string, hint?: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

interface FamilyPlan {
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange?: string;
}

/** One address family of a network: its subnet (given or generated), checked against the others', its gateway and range. */
function planFamily(family: 4 | 6, name: string, given: { subnet?: string; gateway?: string; ipRange?: string }, taken: readonly { name: string; subnet: Subnet }[]): FamilyPlan {
  let subnetText = given.subnet;
  for (let i = 0; subnetText === undefined && i < 256; i++) {
    // IPv4: the first free 10.91.N.0/24; IPv6: a ULA /64 from the name's hash (the next one on a clash).
    const hex = createHash('sha256').update(`${name}#${i}`).digest('hex');
    const candidate = parseSubnet(family === 4 ? `10.91.${i}.0/24` : `fd${hex.slice(0, 2)}:${hex.slice(2, 6)}:${hex.slice(6, 10)}:${hex.slice(10, 14)}::/64`);
    if (candidate.ok && !taken.some((t) => subnetsOverlap(t.subnet, candidate.value))) subnetText = candidate.value.text;
  }
  if (subnetText === undefined) throw usage(`no free IPv${family} subnet left for network ${name}`, 'give the network a Subnet=');
  const subnet = parseSubnet(subnetText);
  if (!subnet.ok) throw usage(subnet.message);
  const bits = family === 4 ? 32 : 128;
  if (subnet.value.prefix > bits - 2) throw usage(`Subnet=${subnetText} leaves no room for containers`, `use a /${bits - 2} or larger subnet`);
  const clash = taken.find((t) => subnetsOverlap(t.subnet, subnet.value));
  if (clash) {
    throw usage(
      clash.name === '' ? `Subnet=${subnet.value.text} overlaps podgen's default bridge (${DEFAULT_SUBNET})` : `Subnet=${subnet.value.text} overlaps network ${clash.name} (${clash.subnet.text})`,
      clash.name === '' ? 'pick another private range, e.g. 10.91.5.0/24' : 'give each network a subnet of its own',
    );
  }
  const gateway = given.gateway ?? bigintToIp(subnet.value.first + 1n, family);
  if (!contains(subnet.value, gateway)) throw usage(`Gateway=${gateway} is not inside Subnet=${subnet.value.text}`, 'give a gateway address inside the subnet');
  if (given.ipRange !== undefined) {
    const range = parseSubnet(given.ipRange);
    if (!range.ok || range.value.first < subnet.value.first || range.value.last > subnet.value.last) {
      throw usage(`IPRange=${given.ipRange} is not a CIDR inside Subnet=${subnet.value.text}`, 'the podgen engine takes IPRange= as a CIDR inside the subnet');
    }
  }
  return { subnet: subnet.value.text, gateway, ...(given.ipRange !== undefined ? { ipRange: given.ipRange } : {}) };
}

/** The network a request describes, checked against the others (pure apart from the list it is given). */
export function planNetwork(req: NetworkRequest, others: readonly NamedNetwork[]): NamedNetwork {
  if (!VALID_NAME.test(req.name)) throw usage(`"${req.name}" is not a network name`, 'letters, digits, "_", "." and "-", starting with a letter or digit');
  const byFamily: Record<4 | 6, { subnet?: string; gateway?: string; ipRange?: string }> = { 4: {}, 6: {} };
  req.subnets.forEach((text, i) => {
    const p = parseSubnet(text);
    if (!p.ok) throw usage(p.message);
    if (byFamily[p.value.family].subnet !== undefined) throw usage(`the podgen engine gives a network one IPv${p.value.family} subnet: ${byFamily[p.value.family].subnet} and ${text}`, 'keep one Subnet= per address family, or use --engine podman');
    byFamily[p.value.family] = { subnet: text, ...(req.gateways[i] !== undefined ? { gateway: req.gateways[i] } : {}), ...(req.ipRanges[i] !== undefined ? { ipRange: req.ipRanges[i] } : {}) };
  });
  if (req.gateways.length > req.subnets.length || req.ipRanges.length > req.subnets.length) {
    if (req.subnets.length === 0) throw usage('cannot set gateway or range without subnet', 'add Subnet=CIDR');
    throw usage('cannot set more gateways or ranges than subnets', 'give one Subnet= per Gateway=/IPRange=');
  }
  const existing = others.filter((o) => o.name !== req.name);
  const takenOf = (family: 4 | 6): Array<{ name: string; subnet: Subnet }> => [
    ...(family === 4 ? [{ name: '', text: DEFAULT_SUBNET }] : []).map((d) => ({ name: d.name, subnet: (parseSubnet(d.text) as { ok: true; value: Subnet }).value })),
    ...existing.flatMap((o) => {
      const t = family === 4 ? o.subnet : o.subnet6;
      const p = t === undefined ? undefined : parseSubnet(t);
      return p?.ok ? [{ name: o.name, subnet: p.value }] : [];
    }),
  ];
  const v4 = planFamily(4, req.name, byFamily[4], takenOf(4));
  const wantV6 = req.ipv6 || byFamily[6].subnet !== undefined;
  const v6 = wantV6 ? planFamily(6, req.name, byFamily[6], takenOf(6)) : undefined;
  if (req.interfaceName !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(req.interfaceName)) throw usage(`InterfaceName=${req.interfaceName} is not a Linux interface name (at most 15 characters)`);
  if (req.mtu !== undefined && (!Number.isInteger(req.mtu) || req.mtu < 576 || req.mtu > 65535)) throw usage(`mtu=${req.mtu} is not an MTU (576-65535)`);
  return {
    name: req.name,
    bridge: req.interfaceName ?? bridgeNameFor(req.name),
    ...v4,
    ...(v6 ? { subnet6: v6.subnet, gateway6: v6.gateway, ...(v6.ipRange !== undefined ? { ipRange6: v6.ipRange } : {}) } : {}),
    internal: req.internal,
    ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
    dns: [...req.dns],
    labels: { ...req.labels },
  };
}


/** Create (or update in place) a network; returns it. Idempotent: the same request twice is one network. */
export function saveNetwork(storeRoot: string, net: NamedNetwork): void {
  fs.mkdirSync(networksDir(storeRoot), { recursive: true });
  writeAtomic(path.join(networksDir(storeRoot), `${net.name}.json`), `${JSON.stringify(net, null, 2)}\n`);
}

export function deleteNetworkFile(storeRoot: string, name: string): void {
  fs.rmSync(path.join(networksDir(storeRoot), `${name}.json`), { force: true });
}
