// podgen's named bridge networks (.network definitions, `podgen network
// create`): one JSON file each under <store>/networks, read by prepare and
// cleanup. The default network (podgen0, Docker's "bridge") is not stored.
// Subnets are checked against each other here, so two networks never
// overlap; a subnet left out is the first free 10.91.N.0/24.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { readIfExists, listDir } from '../resolve/readIfExists';
import { writeAtomic } from '../files';
import { parseSubnet, subnetsOverlap, contains } from '../values/subnet';

export interface NamedNetwork {
  readonly name: string;
  /** The Linux bridge (at most 15 characters). */
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  /** host-local's range inside the subnet (CIDR), when narrower than the subnet. */
  readonly ipRange?: string;
  /** No way out: no default route, no masquerade, nothing forwarded off the bridge. */
  readonly internal: boolean;
  readonly mtu?: number;
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
  readonly subnet?: string;
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly internal: boolean;
  readonly interfaceName?: string;
  readonly mtu?: number;
  readonly dns: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

const usage = (message: string, hint?: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

/** The network a request describes, checked against the others (pure apart from the list it is given). */
export function planNetwork(req: NetworkRequest, others: readonly NamedNetwork[]): NamedNetwork {
  if (!VALID_NAME.test(req.name)) throw usage(`"${req.name}" is not a network name`, 'letters, digits, "_", "." and "-", starting with a letter or digit');
  const taken = [DEFAULT_SUBNET, ...others.filter((o) => o.name !== req.name).map((o) => o.subnet)].map((s) => parseSubnet(s)).flatMap((p) => (p.ok ? [p.value] : []));
  let subnetText = req.subnet;
  if (subnetText === undefined) {
    for (let i = 0; i < 256 && subnetText === undefined; i++) {
      const candidate = parseSubnet(`10.91.${i}.0/24`);
      if (candidate.ok && !taken.some((t) => subnetsOverlap(t, candidate.value))) subnetText = candidate.value.text;
    }
    if (subnetText === undefined) throw usage('no free subnet left in 10.91.0.0/16 for a new network', 'give the network a Subnet=');
  }
  const subnet = parseSubnet(subnetText);
  if (!subnet.ok) throw usage(subnet.message);
  if (subnet.value.family !== 4) throw usage(`Subnet=${subnetText}: the podgen engine's bridges are IPv4 only so far`, 'use an IPv4 subnet, or --engine podman for IPv6');
  if (subnet.value.prefix > 30) throw usage(`Subnet=${subnetText} leaves no room for containers`, 'use a /30 or larger subnet');
  const clash = others.find((o) => o.name !== req.name && ((): boolean => {
    const p = parseSubnet(o.subnet);
    return p.ok && subnetsOverlap(p.value, subnet.value);
  })());
  if (clash) throw usage(`Subnet=${subnet.value.text} overlaps network ${clash.name} (${clash.subnet})`, 'give each network a subnet of its own');
  const dflt = parseSubnet(DEFAULT_SUBNET);
  if (dflt.ok && subnetsOverlap(dflt.value, subnet.value)) throw usage(`Subnet=${subnet.value.text} overlaps podgen's default bridge (${DEFAULT_SUBNET})`, 'pick another private range, e.g. 10.91.5.0/24');
  const firstHost = (subnet.value.first + 1n).toString();
  const gateway = req.gateway ?? bigToIpv4(BigInt(firstHost));
  if (!contains(subnet.value, gateway)) throw usage(`Gateway=${gateway} is not inside Subnet=${subnet.value.text}`, 'give a gateway address inside the subnet');
  if (req.ipRange !== undefined) {
    const range = parseSubnet(req.ipRange);
    if (!range.ok || range.value.first < subnet.value.first || range.value.last > subnet.value.last) {
      throw usage(`IPRange=${req.ipRange} is not a CIDR inside Subnet=${subnet.value.text}`, 'the podgen engine takes IPRange= as a CIDR inside the subnet');
    }
  }
  if (req.interfaceName !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(req.interfaceName)) throw usage(`InterfaceName=${req.interfaceName} is not a Linux interface name (at most 15 characters)`);
  if (req.mtu !== undefined && (!Number.isInteger(req.mtu) || req.mtu < 576 || req.mtu > 65535)) throw usage(`mtu=${req.mtu} is not an MTU (576-65535)`);
  return {
    name: req.name,
    bridge: req.interfaceName ?? bridgeNameFor(req.name),
    subnet: subnet.value.text,
    gateway,
    ...(req.ipRange !== undefined ? { ipRange: req.ipRange } : {}),
    internal: req.internal,
    ...(req.mtu !== undefined ? { mtu: req.mtu } : {}),
    dns: [...req.dns],
    labels: { ...req.labels },
  };
}

function bigToIpv4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}

/** Create (or update in place) a network; returns it. Idempotent: the same request twice is one network. */
export function saveNetwork(storeRoot: string, net: NamedNetwork): void {
  fs.mkdirSync(networksDir(storeRoot), { recursive: true });
  writeAtomic(path.join(networksDir(storeRoot), `${net.name}.json`), `${JSON.stringify(net, null, 2)}\n`);
}

export function deleteNetworkFile(storeRoot: string, name: string): void {
  fs.rmSync(path.join(networksDir(storeRoot), `${name}.json`), { force: true });
}
