// Named networks do not reach each other: one iptables chain, PODGEN-ISOLATION,
// first in FORWARD, drops what one podgen bridge forwards to another (the
// default podgen0 included, as Docker isolates user networks from its
// bridge), and anything an internal network would forward off its bridge.
// Rebuilt whole from the list of networks whenever one is created or removed.

import * as path from 'node:path';
import { withLockFile } from '../output/lockFile';
import { run } from '../process/run';
import type { NetworkDef } from './network';
import { runtimeDir } from './paths';

export const ISOLATION_CHAIN = 'PODGEN-ISOLATION';

/**
 * Network units start and stop in parallel (up, down): one podgen at a time reads the network list
 * and rewrites the chain, or a removal's teardown and a creation's rebuild interleave.
 */
export function withIsolationLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLockFile(path.join(runtimeDir(false), 'podgen', 'isolation.lock'), 'the network isolation rules', fn, 120_000);
}

/** The rules for a set of bridges (pure: what syncIsolation writes). */
export function isolationRules(nets: readonly NetworkDef[]): string[][] {
  const rules: string[][] = [];
  for (const a of nets) {
    if (a.internal) {
      rules.push(['-i', a.bridge, '!', '-o', a.bridge, '-j', 'DROP'], ['-o', a.bridge, '!', '-i', a.bridge, '-j', 'DROP']);
      continue;
    }
    for (const b of nets) if (b.bridge !== a.bridge) rules.push(['-i', a.bridge, '-o', b.bridge, '-j', 'DROP']);
  }
  return rules;
}

/** IPv4 and IPv6 get the same rules (bridge names do not depend on the family). */
const TABLES = ['iptables', 'ip6tables'] as const;
type Table = (typeof TABLES)[number];

async function iptables(args: readonly string[], table: Table = 'iptables'): Promise<number> {
  return (await run([table, '-w', ...args], { allowFailure: true })).status;
}

/** Make the chain hold exactly these networks' rules, and be FORWARD's first rule, for IPv4 and IPv6. */
export async function syncIsolation(nets: readonly NetworkDef[]): Promise<void> {
  for (const t of TABLES) {
    if ((await iptables(['-N', ISOLATION_CHAIN], t)) !== 0) await iptables(['-F', ISOLATION_CHAIN], t);
    for (const r of isolationRules(nets)) await iptables(['-A', ISOLATION_CHAIN, ...r], t);
  }
  await jumpFirst();
}

/**
 * FORWARD's first rule jumps to the chain: CNI's firewall plugin inserts its own accept chain at
 * the top when it first runs, which would let cross-network traffic through ahead of ours.
 */
export async function jumpFirst(): Promise<void> {
  for (const t of TABLES) {
    const r = await run([t, '-w', '-S', 'FORWARD', '1'], { allowFailure: true });
    if (r.stdout.includes(`-j ${ISOLATION_CHAIN}`)) continue;
    while ((await iptables(['-D', 'FORWARD', '-j', ISOLATION_CHAIN], t)) === 0) {
      // remove every older jump, then put one first
    }
    await iptables(['-I', 'FORWARD', '1', '-j', ISOLATION_CHAIN], t);
  }
}

/** Remove the chain and its jump (when the last named network goes). */
export async function dropIsolation(): Promise<void> {
  for (const t of TABLES) {
    while ((await iptables(['-D', 'FORWARD', '-j', ISOLATION_CHAIN], t)) === 0) {
      // every jump
    }
    await iptables(['-F', ISOLATION_CHAIN], t);
    await iptables(['-X', ISOLATION_CHAIN], t);
  }
}
