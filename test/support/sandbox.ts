// A real systemd 252, booted for tests without touching the host: an overlay
// of / on a tmpfs, booted with systemd-nspawn (docs/architecture.md, "Testing
// against a real systemd"). Never boot systemd on the host root: its boot-time
// clean-up empties the host's /tmp and it starts every installed service.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ExecResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** This checkout (build/test/support -> repo root). */
const REPO = path.resolve(__dirname, '..', '..', '..');

const SIGRTMIN_PLUS_3 = 37; // systemd's "halt" signal (SIGRTMIN is 34 on Linux)

function run(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): ExecResult {
  const r: SpawnSyncReturns<string> = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(argv: readonly string[]): string {
  const r = run(argv);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why a sandbox cannot exist on this machine at all (then tests skip and say so), or undefined. */
export function sandboxImpossible(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (mounting an overlay and booting systemd-nspawn needs root)';
  return undefined;
}

/** Host units the sandbox must not start: whatever the host image enables, and timers. */
/**
 * podman inside the sandbox gets its own store. Without this it reads the host's
 * /var/lib/containers/storage through the overlay, and a host podman database made with another
 * graph driver fails every sandbox podman command ("database configuration mismatch").
 */
function isolatePodmanStorage(root: string): void {
  const dir = path.join(root, 'etc/containers');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'storage.conf'),
    '[storage]\ndriver = "vfs"\ngraphroot = "/var/lib/podgen-sandbox/podman"\nrunroot = "/run/podgen-sandbox/podman"\n',
  );
}

function unitsToMask(): string[] {
  const names = new Set<string>(['timers.target', 'console-getty.service', 'getty.target']);
  const dir = '/etc/systemd/system';
  for (const d of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!d.endsWith('.wants') && !d.endsWith('.requires')) continue;
    for (const u of fs.readdirSync(path.join(dir, d))) {
      if (!u.startsWith('dbus') && !u.endsWith('.target')) names.add(u);
    }
  }
  return [...names];
}

export class Sandbox {
  private halted = false;
  private constructor(
    readonly base: string,
    /** The sandbox's root directory as seen from the host. */
    readonly root: string,
    private nspawn: number,
    /** PID (in the host's namespace) of the sandbox's systemd; changes with reboot(). */
    private systemdPid: number,
  ) {}

  get pid(): number {
    return this.systemdPid;
  }

  get nspawnPid(): number {
    return this.nspawn;
  }

  /** /etc/systemd/system inside the sandbox, as a host path. */
  get unitDir(): string {
    return path.join(this.root, 'etc/systemd/system');
  }

  /** The sandbox's D-Bus system bus socket, reachable from the host. */
  get busSocket(): string {
    return `/proc/${this.pid}/root/run/dbus/system_bus_socket`;
  }

  static boot(): Sandbox {
    const base = fs.mkdtempSync('/var/tmp/podgen-sandbox-');
    const tmpfs = path.join(base, 'tmpfs');
    const root = path.join(base, 'root');
    fs.mkdirSync(tmpfs);
    fs.mkdirSync(root);
    must(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', tmpfs]);
    fs.mkdirSync(path.join(tmpfs, 'upper'));
    fs.mkdirSync(path.join(tmpfs, 'work'));
    try {
      must(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${tmpfs}/upper,workdir=${tmpfs}/work`, root]);
    } catch (e) {
      run(['umount', tmpfs]);
      throw e;
    }
    isolatePodmanStorage(root);
    for (const u of unitsToMask()) {
      const link = path.join(root, 'etc/systemd/system', u);
      fs.rmSync(link, { force: true });
      fs.symlinkSync('/dev/null', link);
    }
    const { nspawnPid, systemdPid } = Sandbox.startNspawn(base, root);
    const sb = new Sandbox(base, root, nspawnPid, systemdPid);
    LIVE.add(sb);
    sb.waitRunning();
    return sb;
  }

  private static startNspawn(base: string, root: string): { nspawnPid: number; systemdPid: number } {
    const log = fs.openSync(path.join(base, 'nspawn.log'), 'a');
    const child = spawn(
      'systemd-nspawn',
      // The checkout is bound in at its own path: podgen-engine units run podgen from it (ExecStartPre),
      // and it may live under /tmp, which the sandbox replaces with its own tmpfs. podgen's store gets a
      // tmpfs for its containers: a container's overlay cannot have its upper dir on the sandbox's overlay root.
      ['--quiet', '--register=no', '--keep-unit', '--capability=all', '--console=passive', `--bind-ro=${REPO}`, '--tmpfs=/var/lib/podgen/containers:mode=0700', '-D', root, '--boot'],
      {
        // API_VFS_WRITABLE: podgen's CNI plugins write /proc/sys (forwarding, route_localnet), as on a real host.
        env: { ...process.env, SYSTEMD_SECCOMP: '0', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1', SYSTEMD_NSPAWN_API_VFS_WRITABLE: '1' },
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
    child.unref();
    fs.closeSync(log);
    const nspawnPid = child.pid;
    if (nspawnPid === undefined) throw new Error('could not start systemd-nspawn');
    return { nspawnPid, systemdPid: Sandbox.waitForInit(nspawnPid, base) };
  }

  private waitRunning(): void {
    // systemd is found as a process before it listens on /run/systemd/private: until it does,
    // systemctl fails at once with "Failed to connect to bus".
    const deadline = Date.now() + 90_000;
    let r = this.exec(['systemctl', 'is-system-running', '--wait'], 90_000);
    while (r.stdout.trim() === '' && /Failed to connect to bus/.test(r.stderr) && Date.now() < deadline) {
      spawnSync('sleep', ['0.1']);
      r = this.exec(['systemctl', 'is-system-running', '--wait'], 90_000);
    }
    const state = r.stdout.trim();
    if (state !== 'running' && state !== 'degraded') {
      const failed = this.exec(['systemctl', '--failed', '--no-pager']);
      const log = fs.readFileSync(path.join(this.base, 'nspawn.log'), 'utf8').split('\n').slice(-20).join('\n');
      this.halt();
      throw new Error(`sandbox systemd did not come up (state "${state}", ${r.stderr.trim()}):\n${failed.stdout}${failed.stderr}\nnspawn log:\n${log}`);
    }
  }

  /** Halt the sandbox's systemd (as a shutdown would) and boot it again on the same root. */
  reboot(): void {
    this.stopSystemd();
    const { nspawnPid, systemdPid } = Sandbox.startNspawn(this.base, this.root);
    this.nspawn = nspawnPid;
    this.systemdPid = systemdPid;
    this.waitRunning();
  }

  private stopSystemd(): void {
    try {
      process.kill(this.systemdPid, SIGRTMIN_PLUS_3);
    } catch {
      // already gone
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && run(['kill', '-0', String(this.nspawn)]).status === 0) spawnSync('sleep', ['0.2']);
    for (const pid of [this.nspawn, this.systemdPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private static waitForInit(nspawnPid: number, base: string): number {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const children = run(['ps', '-o', 'pid=,comm=', '--ppid', String(nspawnPid)]).stdout.trim().split('\n');
      for (const line of children) {
        const [pid, comm] = line.trim().split(/\s+/);
        if (comm === 'systemd' && pid) return Number(pid);
      }
      if (run(['kill', '-0', String(nspawnPid)]).status !== 0) {
        throw new Error(`systemd-nspawn exited early:\n${fs.readFileSync(path.join(base, 'nspawn.log'), 'utf8')}`);
      }
      spawnSync('sleep', ['0.1']);
    }
    throw new Error('timed out waiting for the sandbox systemd to start');
  }

  /** Run a command inside the sandbox (all of its namespaces). */
  exec(argv: readonly string[], timeoutMs = 60_000): ExecResult {
    return run(['nsenter', '-t', String(this.pid), '-a', ...argv], { timeoutMs });
  }

  execOk(argv: readonly string[], timeoutMs = 60_000): string {
    const r = this.exec(argv, timeoutMs);
    if (r.status !== 0) throw new Error(`in sandbox: ${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** A cursor to read only the journal entries written after this point. */
  journalCursor(): string {
    const out = this.execOk(['journalctl', '--no-pager', '-n', '0', '--show-cursor']);
    const m = /-- cursor: (.*)/.exec(out);
    return m ? (m[1] as string).trim() : '';
  }

  journalSince(cursor: string): string {
    this.exec(['journalctl', '--sync']);
    return this.execOk(['journalctl', '--no-pager', '-o', 'cat', ...(cursor ? ['--after-cursor', cursor] : [])]);
  }

  /** Stop the sandbox: halt, then SIGKILL after a grace period; unmount everything. Safe to call twice. */
  halt(): void {
    if (this.halted) return;
    this.halted = true;
    LIVE.delete(this);
    this.stopSystemd();
    for (const m of [this.root, path.join(this.base, 'tmpfs')]) {
      if (run(['umount', m]).status !== 0) run(['umount', '-l', m]);
    }
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

const LIVE = new Set<Sandbox>();
// Last resort when mocha is interrupted: never leave a booted sandbox or a mount behind.
process.on('exit', () => {
  for (const sb of [...LIVE]) sb.halt();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const sb of [...LIVE]) sb.halt();
    process.exit(130);
  });
}

let shared: Sandbox | undefined;
/** One sandbox per test run, booted on first use and halted by the root after-hook. */
export function sharedSandbox(): Sandbox {
  shared ??= Sandbox.boot();
  return shared;
}
export function haltSharedSandbox(): void {
  shared?.halt();
  shared = undefined;
}

/**
 * Register before/after hooks that give a describe() block the shared sandbox
 * and a staging directory on the host's disk (the sandbox cannot see the host's /tmp).
 * Skips, saying why, only where a sandbox cannot exist at all.
 */
export function useSandbox(stagingPrefix: string): { readonly sb: Sandbox; readonly staging: string } {
  let sb: Sandbox | undefined;
  let staging = '';
  before(function () {
    const why = sandboxImpossible();
    if (why) {
      console.log(`      skipped: a systemd sandbox cannot exist here: ${why}`);
      this.skip();
    }
    sb = sharedSandbox();
    staging = fs.mkdtempSync(`/var/tmp/${stagingPrefix}`);
  });
  after(function () {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  });
  return {
    get sb(): Sandbox {
      if (!sb) throw new Error('sandbox used before its before() hook ran');
      return sb;
    },
    get staging(): string {
      return staging;
    },
  };
}

/**
 * What podgen, run on the host, needs to manage this sandbox: its system bus, unit directory,
 * journal, state directory, image store (`up` pulls there) and /run (`down` removes kept
 * bundles there); definitions come from defs.
 */
export function hostSideEnv(sb: Sandbox, defs: string): NodeJS.ProcessEnv {
  return {
    DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sb.busSocket}`,
    PODGEN_UNIT_DIR: sb.unitDir,
    PODGEN_JOURNAL_ROOT: `/proc/${sb.pid}/root`,
    PODGEN_STATE_DIR: path.join(sb.root, 'var/lib'),
    PODGEN_STORE: path.join(sb.root, 'var/lib/podgen'),
    PODGEN_RUN_DIR: `/proc/${sb.pid}/root/run`,
    QUADLET_UNIT_DIRS: defs,
  };
}
