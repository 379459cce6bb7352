// Host ports a container or pod publishes: refused when a program listens
// there, or when another podgen container or pod already publishes it (CNI's
// portmap would add a second DNAT rule that silently shadows the first).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { listDir, readIfExists } from '../resolve/readIfExists';
import type { PortMapping } from './runArgs';

/** A host port a prepared container or pod publishes (CNI portmap's runtime config, as recorded). */
export interface PublishedPort {
  readonly owner: string;
  readonly hostPort: number;
  readonly containerPort?: number;
  readonly protocol: string;
  readonly hostIP?: string;
}

/** Published ports recorded in the state of every prepared container and pod under runDir, by owner. */
export function publishedPorts(runDir: string, except: string): PublishedPort[] {
  const out: PublishedPort[] = [];
  const states = [
    ...listDir(path.join(runDir, 'containers')).map((n) => ({ owner: n, file: path.join(runDir, 'containers', n, 'podgen-state.json') })),
    ...listDir(path.join(runDir, 'pods')).filter((f) => f.endsWith('.json')).map((f) => ({ owner: `pod ${f.slice(0, -5)}`, file: path.join(runDir, 'pods', f) })),
  ];
  for (const { owner, file } of states) {
    if (owner === except || !fs.existsSync(file)) continue;
    try {
      type Maps = { portMappings?: Array<Omit<PublishedPort, 'owner'>> };
      const st = JSON.parse(readIfExists(file) ?? '{}') as { nets?: Array<{ result?: Maps }>; netResult?: Maps };
      const maps = st.nets?.[0]?.result?.portMappings ?? st.netResult?.portMappings ?? [];
      for (const m of maps) out.push({ owner, ...m });
    } catch {
      // a state being rewritten: its owner is starting or stopping
    }
  }
  return out;
}

/** Refuse a published port another program already listens on (CNI's DNAT would silently shadow it). */
export async function checkPortsFree(ports: readonly PortMapping[], runDir?: string, self = ''): Promise<void> {
  const net = await import('node:net');
  const others = runDir ? publishedPorts(runDir, self) : [];
  for (const p of ports) {
    const clash = others.find((o) => o.hostPort === p.hostPort && o.protocol === p.protocol && (!o.hostIP || !p.hostIp || o.hostIP === p.hostIp));
    if (clash) {
      throw new PodgenError(`port ${p.hostIp || '*'}:${p.hostPort}/${p.protocol} is already published by ${clash.owner}`, {
        kind: 'usage',
        hint: 'publish it once: from the pod (PublishPort= in [Pod]) or from one container',
      });
    }
  }
  const dgram = await import('node:dgram');
  for (const p of ports) {
    const host = p.hostIp || undefined;
    const taken = await new Promise<boolean>((resolve) => {
      if (p.protocol === 'udp') {
        const sock = dgram.createSocket(host?.includes(':') ? 'udp6' : 'udp4');
        sock.once('error', () => resolve(true));
        sock.bind(p.hostPort, host, () => sock.close(() => resolve(false)));
        return;
      }
      const srv = net.createServer();
      srv.once('error', () => resolve(true));
      srv.listen({ port: p.hostPort, host, exclusive: true }, () => srv.close(() => resolve(false)));
    });
    if (taken) {
      throw new PodgenError(`port ${p.hostIp || '*'}:${p.hostPort}/${p.protocol} is already in use on this host`, {
        kind: 'usage',
        hint: 'stop what listens there (ss -ltnp shows it), or publish on another host port',
      });
    }
  }
}

/** The ports to publish, a random host port (0) given a free one, all checked free (checkPortsFree). */
export async function claimPorts(ports: readonly PortMapping[], runDir: string, self: string): Promise<PortMapping[]> {
  const claimed = await Promise.all(ports.map(async (p) => (p.hostPort === 0 ? { ...p, hostPort: await freePort() } : p)));
  await checkPortsFree(claimed, runDir, self);
  return claimed;
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
