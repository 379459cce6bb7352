// The one module that starts processes. Always an argument vector, never a
// shell string; failures become PodgenErrors carrying the command, its exit
// status and its stderr.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { PodgenError } from '../errors';

const osSignals: Readonly<Record<string, number>> = constants.signals;

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnError(argv: readonly string[], e: unknown): PodgenError {
  const code = (e as NodeJS.ErrnoException).code;
  return new PodgenError(code === 'ENOENT' ? `${argv[0]} is not installed` : `cannot run ${argv[0]}: ${(e as Error).message}`, {
    kind: 'unavailable',
    command: argv,
    hint: code === 'ENOENT' ? `install the Debian package that provides ${argv[0]}` : undefined,
    cause: e,
  });
}

/** Run a command to completion; a non-zero exit is an error unless allowed. */
export async function run(argv: readonly string[], opts: { input?: Uint8Array | string; allowFailure?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(spawnError(argv, e)));
    child.on('close', (status) => {
      const result = { status: status ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (result.status !== 0 && !opts.allowFailure) {
        reject(new PodgenError(`${argv[0]} failed`, { kind: 'internal', command: argv, exitStatus: result.status, stderr: result.stderr }));
      } else {
        resolve(result);
      }
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/**
 * Run a short command to completion, synchronously (for the pure pipeline's one question to the
 * machine: what systemd makes of a unit). Its exit status is the caller's to judge.
 */
export function runSync(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): RunResult {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    env: opts.env,
    timeout: opts.timeoutMs ?? 30_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.input !== undefined ? { input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] } : { stdio: ['ignore', 'pipe', 'pipe'] }),
  });
  if (r.error) throw spawnError(argv, r.error);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A running command whose stdin (and stdout) the caller streams. */
export interface Piped {
  readonly child: ChildProcess;
  /** Resolves when it exits successfully; rejects with its stderr otherwise. */
  readonly finished: Promise<void>;
}

export function pipe(argv: readonly string[], stdout: 'pipe' | 'ignore' = 'ignore'): Piped {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', stdout, 'pipe'] });
  const err: Buffer[] = [];
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(spawnError(argv, e)));
    child.on('close', (status, signal) => {
      if (status === 0) resolve();
      else reject(new PodgenError(`${argv[0]} failed`, { kind: 'internal', command: argv, exitStatus: status ?? undefined, stderr: Buffer.concat(err).toString('utf8') || (signal ? `killed by ${signal}` : undefined) }));
    });
  });
  // A child that exits early makes writes fail with EPIPE; its exit status tells the story.
  child.stdin?.on('error', () => undefined);
  // The caller awaits `finished` after streaming; a failure before then must not count as unhandled.
  finished.catch(() => undefined);
  return { child, finished };
}

/**
 * Start a command that outlives this process (its own session, no stdio): its PID. For holders of
 * namespaces, which do nothing but exist; the caller checks the binary exists first.
 */
export function spawnDetached(argv: readonly string[]): number {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore', detached: true });
  child.on('error', () => undefined); // reported by the caller's wait for the process instead
  child.unref();
  if (child.pid === undefined) throw spawnError(argv, new Error('the process did not start'));
  return child.pid;
}

/** Run a command attached to our terminal (e.g. journalctl -f); resolves with its exit status (128+N when killed by signal N). */
export async function runAttached(argv: readonly string[], opts: { forwardSignals?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'inherit' });
    // SIGTERM/SIGHUP sent to podgen alone (not its process group) are passed on, as docker run --sig-proxy does.
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    const signals: NodeJS.Signals[] = opts.forwardSignals ? ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] : [];
    for (const s of signals) process.on(s, forward);
    child.on('error', (e) => reject(spawnError(argv, e)));
    child.on('close', (status, signal) => {
      for (const s of signals) process.removeListener(s, forward);
      resolve(status ?? (signal ? 128 + (osSignals[signal] ?? 0) : 1));
    });
  });
}
