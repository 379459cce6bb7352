// kill, wait and port for every container podgen runs (commands/containers.ts
// names them). kill with SIGKILL or the container's stop signal is a stop by
// hand, as Docker's kill is (its restart policy does not bring it back);
// another signal is only delivered, and what the process does with it is its
// own business (if it dies, the restart policy applies).

import * as path from 'node:path';
import { PodgenError } from '../errors';
import type { SystemdManager } from '../manage/systemd';
import { RUNNING_STATES } from '../manage/unitStatus';
import { lookup } from '../parse/lookup';
import { readRecord } from '../restart/record';
import { isManaged } from '../restart/update';
import { containerPaths } from '../runtime/paths';
import { publishedPorts } from '../runtime/ports';
import { parsePublish, portMappings } from '../values/port';
import { parseSignal } from '../values/signal';
import type { KnownContainer } from './containers';
import { jobs } from './lifecycle';

export async function killContainers(targets: readonly KnownContainer[], signal: string, systemd: SystemdManager, user: boolean): Promise<void> {
  const sig = parseSignal(signal);
  if (!sig.ok) throw new PodgenError(`--signal ${signal}: ${sig.message}`, { kind: 'usage', hint: 'e.g. KILL, TERM, HUP, USR1 or a number' });
  const statuses = await systemd.status(targets.map((c) => c.unit));
  const idle = targets.filter((_, i) => !RUNNING_STATES.has(statuses[i]?.activeState ?? ''));
  if (idle.length > 0) throw new PodgenError(`${idle.map((c) => c.name).join(', ')} ${idle.length === 1 ? 'is' : 'are'} not running`, { kind: 'usage', hint: 'podgen ps -a shows the state; podgen start NAME starts one' });
  for (const c of targets) {
    const stopSignal = parseSignal(lookup(c.parsed, 'X-Container', 'StopSignal') ?? 'SIGTERM');
    const stops = sig.value.number === 9 || (stopSignal.ok && stopSignal.value.number === sig.value.number);
    if (stops && isManaged(c.text)) {
      // The restart manager's stop by hand with no grace: the stop signal, then SIGKILL at once.
      await jobs('StopUnit', [c.unit], systemd, user, [path.dirname(c.unitFile)], { stopGraceSeconds: 0 });
    } else {
      await systemd.kill(c.unit, sig.value.number);
    }
  }
}

/** Block until each container is not running, or has ended since the wait began (then restarted); their exit codes. */
export async function waitContainers(targets: readonly KnownContainer[], systemd: SystemdManager, user: boolean, pollMs = 200): Promise<number[]> {
  const since = Date.now();
  const codes: number[] = [];
  for (const c of targets) {
    for (;;) {
      const [s] = await systemd.status([c.unit]);
      const record = readRecord(c.unit, user);
      const endedSince = record?.finishedAt !== undefined && record.finishedAt >= since;
      if (!s || !RUNNING_STATES.has(s.activeState) || endedSince) {
        codes.push(record?.exitCode ?? s?.execMainStatus ?? 0);
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return codes;
}

export interface PortLine {
  readonly containerPort: number;
  readonly protocol: string;
  readonly hostIp: string;
  readonly hostPort: number;
}

/** The container's published ports: as bound now (a port picked at start included), else as its definition says. */
export function containerPorts(c: KnownContainer, user: boolean): PortLine[] {
  const live = publishedPorts(containerPaths(c.name, user).runDir, '').filter((p) => p.owner === c.name && p.containerPort !== undefined);
  if (live.length > 0) return live.map((p) => ({ containerPort: p.containerPort as number, protocol: p.protocol, hostIp: p.hostIP ?? '0.0.0.0', hostPort: p.hostPort }));
  return c.ports.flatMap((v) => {
    const spec = parsePublish(v);
    return spec.ok ? portMappings(spec.value).filter((m) => m.hostPort !== 0).map((m) => ({ containerPort: m.containerPort, protocol: m.protocol, hostIp: m.hostIp || '0.0.0.0', hostPort: m.hostPort })) : [];
  });
}
