// Looking into running containers: exec, top, stats (from cgroup counters),
// rm, and the runtime part of `podgen inspect`. All through runc's own state
// and the kernel's files; nothing resident keeps any of this.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { flagValue } from '../parse/argv';
import { formatBytes } from '../values/formatBytes';
import { run, runAttached } from '../process/run';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { type ContainerPaths, containerPaths, isRootless } from './paths';
import { resolveUser } from './prepare';
import { RUNC } from './run';

interface RuncState {
  readonly id: string;
  readonly pid: number;
  readonly status: string;
  readonly bundle: string;
  readonly created: string;
}

async function state(p: ContainerPaths): Promise<RuncState | undefined> {
  const r = await run([RUNC, '--root', p.runtimeState, 'state', p.name], { allowFailure: true });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as RuncState;
}

async function running(name: string): Promise<{ paths: ContainerPaths; state: RuncState }> {
  const paths = containerPaths(name, isRootless());
  const s = await state(paths);
  if (!s || s.status !== 'running') {
    throw new PodgenError(`container ${name} is not running`, { kind: 'not-found', hint: 'podgen ps lists the running containers; podgen start NAME starts one' });
  }
  return { paths, state: s };
}

/** Names of the containers with a bundle in this boot. */
export function containerNames(user: boolean): string[] {
  const dir = path.dirname(containerPaths('x', user).bundle);
  return listDir(dir).filter((n) => fs.existsSync(path.join(dir, n, 'config.json'))).sort();
}

function cgroupDir(pid: number): string | undefined {
  const line = (readIfExists(`/proc/${pid}/cgroup`) ?? '').split('\n').find((l) => l.startsWith('0::'));
  return line ? path.join('/sys/fs/cgroup', line.slice(3).trim()) : undefined;
}

export interface Stats {
  readonly name: string;
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly memoryLimit: number | undefined;
  readonly pids: number;
  readonly ioReadBytes: number;
  readonly ioWriteBytes: number;
}

function counters(dir: string): { cpuUsec: number; memory: number; limit: number | undefined; pids: number; rbytes: number; wbytes: number } {
  // Controllers are enabled on the unit's cgroup, not on the container's child of it (runc cannot
  // enable them while it sits in the unit's cgroup itself): read a counter one level up when absent.
  const read = (f: string): string => readIfExists(path.join(dir, f)) ?? readIfExists(path.join(dir, '..', f)) ?? '';
  // The container's cgroup is a child of its unit's: limits set on the unit show one level up.
  const limitText = read('memory.max').trim();
  let rbytes = 0;
  let wbytes = 0;
  for (const line of read('io.stat').split('\n')) {
    rbytes += Number(/rbytes=(\d+)/.exec(line)?.[1] ?? 0);
    wbytes += Number(/wbytes=(\d+)/.exec(line)?.[1] ?? 0);
  }
  const pids = read('cgroup.procs').split('\n').filter(Boolean);
  const procs = pids.length;
  // Without the memory controller (some delegated hierarchies), the processes' resident sizes stand in.
  const rss = (): number => pids.reduce((sum, p) => sum + 1024 * Number(/^VmRSS:\s+(\d+)/m.exec(readIfExists(`/proc/${p}/status`) ?? '')?.[1] ?? 0), 0);
  return {
    cpuUsec: Number(/usage_usec (\d+)/.exec(read('cpu.stat'))?.[1] ?? 0),
    memory: read('memory.current').trim() ? Number(read('memory.current').trim()) : rss(),
    limit: /^\d+$/.test(limitText) ? Number(limitText) : undefined,
    pids: Number(read('pids.current').trim() || procs),
    rbytes,
    wbytes,
  };
}

/** One sample over `intervalMs` per container. */
export async function stats(names: readonly string[], intervalMs: number): Promise<Stats[]> {
  const targets = await Promise.all(names.map(async (n) => ({ n, r: await running(n) })));
  const dirs = targets.map(({ n, r }) => {
    const d = cgroupDir(r.state.pid);
    if (!d) throw new PodgenError(`cannot find the cgroup of ${n}`, { kind: 'internal' });
    return d;
  });
  const before = dirs.map(counters);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, intervalMs));
  const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
  return dirs.map((d, i) => {
    const after = counters(d);
    const b = before[i] as ReturnType<typeof counters>;
    return {
      name: (targets[i] as { n: string }).n,
      cpuPercent: Math.round((10000 * (after.cpuUsec - b.cpuUsec)) / elapsedUs) / 100,
      memoryBytes: after.memory,
      memoryLimit: after.limit,
      pids: after.pids,
      ioReadBytes: after.rbytes,
      ioWriteBytes: after.wbytes,
    };
  });
}

/** What `podgen inspect` adds for a container that has been prepared in this boot. */
export async function runtimeInfo(name: string, user: boolean): Promise<Record<string, unknown> | undefined> {
  const paths = containerPaths(name, user);
  const configText = readIfExists(path.join(paths.bundle, 'config.json'));
  if (configText === undefined) return undefined;
  const config = JSON.parse(configText) as { process?: { args?: string[]; env?: string[] }; mounts?: Array<{ destination: string; source: string; type: string }>; hostname?: string; linux?: { cgroupsPath?: string } };
  const s = fs.existsSync(RUNC) ? await state(paths) : undefined;
  const hosts = readIfExists(path.join(paths.bundle, 'hosts')) ?? '';
  const ip = /^(\d+\.\d+\.\d+\.\d+)\t/m.exec(hosts.split('\n').slice(2).join('\n'))?.[1];
  return {
    bundle: paths.bundle,
    rootfs: paths.rootfs,
    status: s?.status ?? 'stopped',
    pid: s?.pid,
    created: s?.created,
    ip: ip && !ip.startsWith('127.') ? ip : undefined,
    hostname: config.hostname,
    args: config.process?.args,
    cgroup: config.linux?.cgroupsPath,
    mounts: (config.mounts ?? []).filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}`),
  };
}



/**
 * exec, top and stats. resolve turns a NAME argument (a container name, unit or ID prefix; with
 * --latest, none) into the runtime's name for the container: the caller knows the naming rule.
 */
export async function runInspectCommand(command: 'exec' | 'top' | 'stats', argv: string[], out: NodeJS.WritableStream, resolve: (ref: string | undefined) => Promise<string>, latest: boolean): Promise<number> {
  switch (command) {
    case 'exec': {
      // Options come before NAME; everything after NAME is the command.
      const opts: string[] = [];
      while (argv[0]?.startsWith('-')) {
        const a = argv.shift() as string;
        if (['-u', '--user', '-w', '--workdir', '-e', '--env'].includes(a)) opts.push(a, argv.shift() ?? '');
        else opts.push(a);
      }
      const ref = latest ? undefined : argv.shift();
      if ((!latest && !ref) || argv.length === 0) throw new PodgenError('usage: podgen exec [-t] [-u USER] [-w DIR] [-e NAME=VALUE] NAME|-l COMMAND [ARG...]', { kind: 'usage' });
      const name = await resolve(ref);
      const { paths, state: st } = await running(name);
      const flags: string[] = [];
      const user = flagValue(opts, ['-u', '--user']);
      if (user) {
        const [u, g] = user.split(':');
        // Names are the container's own /etc's, as its init sees its root (a rootless root is mounted only in there).
        const ids = resolveUser([`/proc/${st.pid}/root`], g === undefined ? u : `${u}:${g}`, []);
        flags.push('--user', `${ids.uid}:${ids.gid}`);
      }
      const cwd = flagValue(opts, ['-w', '--workdir']);
      if (cwd) flags.push('--cwd', cwd);
      for (let e = flagValue(opts, ['-e', '--env']); e !== undefined; e = flagValue(opts, ['-e', '--env'])) flags.push('--env', e);
      for (const o of opts) {
        if (o === '-t' || o === '--tty' || o === '-it' || o === '-ti') flags.push('--tty');
        else if (o === '-i' || o === '--interactive') continue; // stdin is always passed
        else throw new PodgenError(`podgen exec: unknown flag ${o}`, { kind: 'usage' });
      }
      return runAttached([RUNC, '--root', paths.runtimeState, 'exec', ...flags, name, ...argv], { forwardSignals: true });
    }
    case 'top': {
      if (!latest && !argv[0]) throw new PodgenError('usage: podgen top NAME|-l', { kind: 'usage' });
      const name = await resolve(argv[0]);
      const { paths } = await running(name);
      const r = await run([RUNC, '--root', paths.runtimeState, 'ps', name, '-o', 'user,pid,ppid,etime,rss,args']);
      out.write(r.stdout);
      return 0;
    }
    case 'stats': {
      const json = argv.includes('--json');
      const noStream = argv.includes('--no-stream') || json;
      const names = latest ? [await resolve(undefined)] : await Promise.all(argv.filter((a) => !a.startsWith('-')).map((a) => resolve(a)));
      for (;;) {
        const list = names.length ? names : (await Promise.all(containerNames(isRootless()).map(async (n) => ((await state(containerPaths(n, isRootless())))?.status === 'running' ? n : undefined)))).filter((n): n is string => !!n);
        const rows = await stats(list, noStream ? 500 : 1000);
        if (json) out.write(`${JSON.stringify(rows, null, 2)}\n`);
        else {
          if (!noStream) out.write('\x1b[2J\x1b[H');
          out.write(`${['NAME', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS', 'BLOCK I/O'].join('\t')}\n`);
          for (const r of rows) {
            out.write(`${r.name}\t${r.cpuPercent.toFixed(2)}%\t${formatBytes(r.memoryBytes)} / ${r.memoryLimit === undefined ? 'unlimited' : formatBytes(r.memoryLimit)}\t${r.pids}\t${formatBytes(r.ioReadBytes)} / ${formatBytes(r.ioWriteBytes)}\n`);
          }
        }
        if (noStream) return 0;
      }
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
