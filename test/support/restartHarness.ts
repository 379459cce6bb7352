// What the restart-manager tests share: podgen-engine containers in the
// sandbox that log each start (the kernel's uptime, read inside the container)
// to a file the test reads, the restart manager's record, and waiting for
// either to say something.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecord, type RestartRecord } from '../../src/restart/record';
import { podgen, REPO_ROOT, type CliResult } from './cli';
import { pushImage } from './images';
import { TestRegistry } from './registry';
import { runtimeImage } from './runtimeImage';
import { hostSideEnv, type Sandbox, useSandbox } from './sandbox';

/** Inside the sandbox: where containers log their starts (bind-mounted at /log). */
const LOG_DIR = '/srv/podgen-restart-log';

export class RestartHarness {
  private constructor(
    readonly sb: Sandbox,
    readonly defs: string,
    readonly image: string,
    private readonly reg: TestRegistry,
  ) {}

  static async create(sb: Sandbox, staging: string): Promise<RestartHarness> {
    const reg = await TestRegistry.start();
    await pushImage(reg, 'test/restart', '1', runtimeImage());
    const defs = path.join(staging, 'defs');
    fs.mkdirSync(defs, { recursive: true });
    fs.mkdirSync(path.join(sb.root, LOG_DIR), { recursive: true });
    const h = new RestartHarness(sb, defs, `${reg.address}/test/restart:1`, reg);
    // The image in the sandbox's store once, so no start pays for (or races on) a pull.
    const pulled = h.run(['pull', '-q', h.image]);
    assert.equal(pulled.status, 0, pulled.stderr);
    return h;
  }

  stop(): void {
    this.reg.stop();
  }

  /** podgen on the host, managing the sandbox. */
  run(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): CliResult {
    // The staging directory is gone once useSandbox's own after-hook has run: clean-up still works.
    return podgen(args, { cwd: fs.existsSync(this.defs) ? this.defs : '/', env: { ...hostSideEnv(this.sb, this.defs), ...extraEnv } });
  }

  /** podgen inside the sandbox (where the containers' mounts are). */
  inside(args: readonly string[]): CliResult {
    const r = this.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args]);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * NAME.container: the test image on no network, /log bind-mounted; SCRIPT runs in the container
   * after it has logged its start. BODY adds [Container] keys (RestartPolicy=, StopTimeout=...).
   */
  define(name: string, script: string, body: string, extra = ''): void {
    fs.rmSync(this.logFile(name), { force: true });
    const exec = `/bin/sh -c ${JSON.stringify(`cat /proc/uptime >> /log/${name}; ${script}`)}`;
    fs.writeFileSync(path.join(this.defs, `${name}.container`), `[Container]\nImage=${this.image}\nNetwork=none\nVolume=${LOG_DIR}:/log\nExec=${exec}\n${body}${extra}`);
  }

  logFile(name: string): string {
    return path.join(this.sb.root, LOG_DIR, name);
  }

  /** A flag file the container can see at /log/FILE. */
  flag(file: string, on: boolean): void {
    const p = path.join(this.sb.root, LOG_DIR, file);
    if (on) fs.writeFileSync(p, '');
    else fs.rmSync(p, { force: true });
  }

  /** When each run of the container began (seconds of kernel uptime, 10 ms steps). */
  starts(name: string): number[] {
    if (!fs.existsSync(this.logFile(name))) return [];
    return fs
      .readFileSync(this.logFile(name), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.split(' ')[0]));
  }

  recordFile(name: string): string {
    return path.join(this.sb.root, 'var/lib/podgen/state', `${name}.service`);
  }

  record(name: string): RestartRecord | undefined {
    return fs.existsSync(this.recordFile(name)) ? parseRecord(fs.readFileSync(this.recordFile(name), 'utf8')) : undefined;
  }

  /** Put a value into the record, as if the restart manager had got there by itself (a long back-off). */
  seedRecord(name: string, key: string, value: string): void {
    const text = fs.readFileSync(this.recordFile(name), 'utf8');
    fs.writeFileSync(this.recordFile(name), text.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`));
  }

  show(name: string, props: readonly string[]): Record<string, string> {
    const out = this.sb.exec(['systemctl', 'show', `${name}.service`, ...props.map((p) => `--property=${p}`)]).stdout;
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  active(name: string): string {
    return this.sb.exec(['systemctl', 'is-active', `${name}.service`]).stdout.trim();
  }

  /** The unit's main process (the container's PID 1 once it runs), as a PID of the sandbox. */
  mainPid(name: string): number {
    return Number(this.show(name, ['MainPID']).MainPID ?? 0);
  }

  /** Send SIGNAL to the unit's main process (from inside the sandbox, whose PIDs these are). */
  killMain(name: string, signal = 'KILL'): number {
    const pid = this.mainPid(name);
    assert.ok(pid > 0, `${name} has no main process`);
    this.sb.execOk(['kill', `-${signal}`, String(pid)]);
    return pid;
  }

  journal(name: string): string {
    return this.sb.exec(['journalctl', '-u', `${name}.service`, '--no-pager', '-o', 'short-precise', '-n', '40']).stdout;
  }

  down(...names: string[]): void {
    this.run(['down', ...names]);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until COND holds (or fail with WHAT and EXPLAIN's text). */
export async function until(cond: () => boolean, timeoutMs: number, what: string, explain: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
    await sleep(50);
  }
}

/** Seconds of kernel uptime now (the clock the containers log with). */
export function uptime(): number {
  return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/** Host PIDs of processes whose command line matches PATTERN (pgrep -f). */
export function pids(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean).map(Number);
}

/**
 * Register a describe() block's hooks: the shared sandbox, a harness with the test image in the
 * sandbox's store (created before the tests, its registry stopped after them).
 */
export function useRestartHarness(stagingPrefix: string): { readonly h: RestartHarness; readonly sb: Sandbox; readonly staging: string } {
  const env = useSandbox(stagingPrefix);
  let harness: RestartHarness | undefined;
  before(async function () {
    harness = await RestartHarness.create(env.sb, env.staging);
  });
  after(function () {
    harness?.stop();
  });
  return {
    get h(): RestartHarness {
      if (!harness) throw new Error('the harness is used before its before() hook ran');
      return harness;
    },
    get sb(): Sandbox {
      return env.sb;
    },
    get staging(): string {
      return env.staging;
    },
  };
}
