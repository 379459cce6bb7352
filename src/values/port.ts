// Published ports as docker run -p and Quadlet's PublishPort= write them:
// [[ip:][hostPort]:]containerPort[/protocol], ports or ranges (8000-8010),
// IPv6 addresses in brackets. Pure.

import { bad, ok, type Parsed } from './parsed';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortSpec {
  /** "" for every address. */
  readonly hostIp: string;
  /** undefined: a free port, picked when the container starts (-p 80). */
  readonly host: readonly [number, number] | undefined;
  readonly container: readonly [number, number];
  readonly protocol: Protocol;
}

/** One published port (a range gives one per port); hostPort 0 until a free one is picked. */
export interface PortMapping {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

function range(s: string, what: string, value: string): Parsed<readonly [number, number]> {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return bad(`${what} "${s}" is not a port or a range like 8000-8010 in "${value}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  for (const p of [lo, hi]) if (p < 1 || p > 65535) return bad(`${what} ${p} is out of range (1-65535) in "${value}"`);
  if (hi < lo) return bad(`${what} range "${s}" runs backwards in "${value}"`);
  return ok([lo, hi] as const);
}

function isIp(ip: string): boolean {
  const v4 = ip.split('.');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return true;
  return /^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':') && (ip.match(/::/g) ?? []).length <= 1;
}

export function parsePublish(value: string): Parsed<PortSpec> {
  let rest = value.trim();
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') return bad(`protocol "${proto}" in "${value}" is not tcp, udp or sctp`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return bad(`unterminated IPv6 address in "${value}"`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (!rest.startsWith(':')) return bad(`"${value}" needs a port after the IPv6 address`);
    rest = rest.slice(1);
  }
  const parts = rest.split(':');
  if (parts.length > 3 || (hostIp !== undefined && parts.length > 2)) return bad(`"${value}" is not [[ip:][hostPort]:]containerPort[/protocol]`);
  if (parts.length === 3) hostIp = parts.shift() as string;
  if (hostIp !== undefined && hostIp !== '' && !isIp(hostIp)) return bad(`"${hostIp}" in "${value}" is not an IP address`);
  const container = range(parts.pop() as string, 'container port', value);
  if (!container.ok) return container;
  const hostSpec = parts.pop();
  if (hostSpec === undefined || hostSpec === '') return ok({ hostIp: hostIp ?? '', host: undefined, container: container.value, protocol });
  const host = range(hostSpec, 'host port', value);
  if (!host.ok) return host;
  if (host.value[1] - host.value[0] !== container.value[1] - container.value[0]) return bad(`host and container port ranges differ in length in "${value}"`);
  return ok({ hostIp: hostIp ?? '', host: host.value, container: container.value, protocol });
}

/** One mapping per port of the spec's ranges. */
export function portMappings(p: PortSpec): PortMapping[] {
  const out: PortMapping[] = [];
  for (let i = 0; i <= p.container[1] - p.container[0]; i++) {
    out.push({ hostIp: p.hostIp, hostPort: p.host ? p.host[0] + i : 0, containerPort: p.container[0] + i, protocol: p.protocol });
  }
  return out;
}
