// podgen-engine units for real: the sandbox's systemd runs ExecStartPre
// `podgen prepare` (pulling from the local registry), then runc, then
// `podgen cleanup`. Images are built offline: busybox plus pgtest, a tiny
// static helper (test/fixtures/helpers/pgtest.c) for sd_notify and socket
// activation.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { pushImage } from '../support/images';
import { runtimeImage } from '../support/runtimeImage';
import { TestRegistry } from '../support/registry';
import { freePort } from '../support/ports';
import { hostSideEnv, useSandbox } from '../support/sandbox';


describe('podgen engine: containers run by runc under systemd (sandbox)', function () {
  this.timeout(180_000);
  const env = useSandbox('podgen-rt-');
  let reg: TestRegistry;
  let defs: string;
  let image: string;
  const run = (args: string[]) => podgen(args, { cwd: defs, env: hostSideEnv(env.sb, defs) });
  // podgen inside the sandbox, where the containers' mounts are: what unmounts a stopped
  // container's ready root (uninstall, down, pull, rmi) must run there, as it does on a host.
  const inside = (args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args]);
  const show = (unit: string, props: string[]): Record<string, string> => {
    const out = env.sb.exec(['systemctl', 'show', unit, ...props.map((p) => `--property=${p}`)]).stdout;
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const define = (name: string, body: string): void => fs.writeFileSync(path.join(defs, `${name}.container`), `[Container]\nImage=${image}\n${body}`);
  const http = (port: number, file = ''): { code: number; body: string } => {
    const r = spawnSync('curl', ['-s', '-m', '5', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/${file}`], { encoding: 'utf8' });
    const lines = r.stdout.split('\n');
    return { code: Number(lines.pop() || 0), body: lines.join('\n') };
  };

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/rt', '1', runtimeImage());
    image = `${reg.address}/test/rt:1`;
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
  });
  after(function () {
    reg?.stop();
  });

  it('busybox httpd serves a file from a bind volume through a published port; stop; start again', async function () {
    const port = await freePort();
    const www = path.join(env.staging, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from a bind volume\n');
    define('web', `Exec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nPublishPort=127.0.0.1:${port}:80\nStopTimeout=1\n\n[Install]\nWantedBy=multi-user.target\n`);
    const up = run(['up', 'web']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.deepEqual(http(port, 'index.html'), { code: 200, body: 'hello from a bind volume\n' });
    const stop = run(['stop', 'web']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(http(port).code, 0);
    const start = run(['start', 'web']);
    assert.equal(start.status, 0, start.stderr + start.stdout);
    assert.equal(http(port, 'index.html').code, 200);
    assert.equal(run(['down', 'web']).status, 0);
    assert.deepEqual(leftovers('web'), []);
  });

  it('no podgen or runtime process stays: the unit holds only the container, in a cgroup under the unit', function () {
    define('idle', 'Exec=/bin/busybox sleep 600\nNetwork=none\nStopTimeout=1\n');
    const up = run(['up', 'idle']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    try {
      const p = show('idle.service', ['MainPID', 'ControlGroup']);
      const procs = env.sb.exec(['systemd-cgls', '--no-pager', '-u', 'idle.service']).stdout;
      const comms = env.sb.exec(['sh', '-c', `for p in $(cat /sys/fs/cgroup${p.ControlGroup}/container/cgroup.procs); do cat /proc/$p/comm; done`]).stdout.trim().split('\n');
      assert.deepEqual(comms, ['busybox'], `processes in the unit: ${procs}`);
      assert.equal(env.sb.exec(['cat', `/sys/fs/cgroup${p.ControlGroup}/cgroup.procs`]).stdout.trim(), '', 'nothing but the container cgroup holds processes');
      // The main PID is the container's PID 1, so systemd's signals reach it directly.
      assert.match(env.sb.exec(['cat', `/proc/${p.MainPID}/cmdline`]).stdout, /^\/bin\/busybox\x00sleep\x00600/);
      assert.doesNotMatch(procs, /node|runc/);
      // ExecStartPost did runc start's work: runc itself sees a running container, its exec.fifo gone.
      assert.equal((JSON.parse(env.sb.execOk(['runc', '--root', '/run/podgen/runc', 'state', 'idle'])) as { status: string }).status, 'running');
      assert.equal(env.sb.exec(['test', '-e', '/run/podgen/runc/idle/exec.fifo']).status, 1);
    } finally {
      run(['down', 'idle']);
    }
  });

  for (const [code, exec] of [
    [0, "/bin/sh -c 'echo bye; exit 0'"],
    [1, "/bin/sh -c 'echo failing >&2; exit 1'"],
    [137, "/bin/sh -c 'exit 137'"],
  ] as const) {
    it(`a container exiting ${code} ends the unit with its status (${code}), and its output is in the unit's journal`, function () {
      const name = `exit${code}`;
      define(name, `Exec=${exec}\nNetwork=none\n`);
      assert.equal(run(['install', name]).status, 0);
      const cursor = env.sb.journalCursor();
      // --wait holds systemd's attention until the unit is done (a unit that ends well is unloaded
      // right after, taking its exec status with it); its exit status is the unit's verdict.
      const waited = env.sb.exec(['systemctl', 'start', '--wait', `${name}.service`]);
      assert.equal(waited.status === 0, code === 0, `systemctl start --wait: ${waited.status} ${waited.stderr}`);
      if (code !== 0) {
        const p = show(`${name}.service`, ['ActiveState', 'Result', 'ExecMainStatus', 'ExecMainCode']);
        assert.deepEqual(p, { ActiveState: 'failed', Result: 'exit-code', ExecMainStatus: String(code), ExecMainCode: '1' }, env.sb.journalSince(cursor));
      }
      // The container's stdout/stderr, filed under the unit's name.
      const journal = env.sb.exec(['journalctl', '-u', `${name}.service`, '-o', 'cat', '--no-pager']).stdout;
      if (code === 0) assert.match(journal, /^bye$/m);
      if (code === 1) assert.match(journal, /^failing$/m);
      assert.equal(inside(['uninstall', name]).status, 0);
      assert.deepEqual(leftovers(name), [], 'uninstall removes what the stopped container kept');
    });
  }

  it('without podgen-start (no C compiler at install): runc create, then an ExecStartPost lets the container run; its exit status is the unit\'s; socket activation', async function () {
    // It lives a moment: in this shape systemd reads the PID file again after ExecStartPost, and a
    // container gone by then ends the start as Result=protocol (docs/architecture.md).
    define('plainexit', "Exec=/bin/sh -c 'sleep 0.3; exit 3'\nNetwork=none\n");
    define('plainidle', 'Exec=/bin/busybox sleep 600\nNetwork=none\nStopTimeout=1\n');
    define('plainact', 'Exec=/bin/pgtest serve-fd3\nNetwork=none\n');
    const port = await freePort();
    const installed = podgen(['install', 'plainexit', 'plainidle', 'plainact'], { cwd: defs, env: { ...hostSideEnv(env.sb, defs), PODGEN_NO_NATIVE_HELPER: '1' } });
    assert.equal(installed.status, 0, installed.stderr);
    try {
      assert.match(env.sb.execOk(['systemctl', 'cat', 'plainidle.service']), /^Type=forking$[\s\S]*^ExecStartPost=\/bin\/sh -c /m);
      // Twice: through Node's prepare, then through the sh line with the root the stop mounted.
      for (let i = 0; i < 2; i++) {
        assert.notEqual(env.sb.exec(['systemctl', 'start', '--wait', 'plainexit.service']).status, 0);
        assert.deepEqual(show('plainexit.service', ['Result', 'ExecMainStatus']), { Result: 'exit-code', ExecMainStatus: '3' });
      }
      assert.equal(env.sb.exec(['systemctl', 'start', 'plainidle.service']).status, 0);
      const p = show('plainidle.service', ['MainPID', 'ActiveState']);
      assert.equal(p.ActiveState, 'active');
      assert.match(env.sb.exec(['cat', `/proc/${p.MainPID}/cmdline`]).stdout, /^\/bin\/busybox\x00sleep\x00600/);
      assert.equal((JSON.parse(env.sb.execOk(['runc', '--root', '/run/podgen/runc', 'state', 'plainidle'])) as { status: string }).status, 'running');
      assert.equal(env.sb.exec(['test', '-e', '/run/podgen/runc/plainidle/exec.fifo']).status, 1);
      // Socket activation through Node's prepare, then through the sh line.
      fs.writeFileSync(path.join(env.sb.unitDir, 'plainact.socket'), `[Socket]\nListenStream=127.0.0.1:${port}\n`);
      env.sb.execOk(['systemctl', 'daemon-reload']);
      env.sb.execOk(['systemctl', 'start', 'plainact.socket']);
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(http(port), { code: 200, body: 'served by fd 3: LISTEN_FDS=1 LISTEN_PID=1\n' }, `start ${i + 1}`);
        env.sb.execOk(['systemctl', 'stop', 'plainact.service']);
      }
    } finally {
      env.sb.exec(['systemctl', 'stop', 'plainact.socket']);
      fs.rmSync(path.join(env.sb.unitDir, 'plainact.socket'), { force: true });
      inside(['down', 'plainexit', 'plainidle', 'plainact']);
    }
    assert.deepEqual([...leftovers('plainexit'), ...leftovers('plainidle'), ...leftovers('plainact')], []);
  });

  it('kill -9 of the container: failed, killed by signal 9 (docker reports 128+9 = 137); the next start works', function () {
    define('victim', 'Exec=/bin/busybox sleep 600\nNetwork=none\n');
    assert.equal(run(['up', 'victim']).status, 0);
    try {
      const { MainPID } = show('victim.service', ['MainPID']);
      env.sb.execOk(['kill', '-9', String(MainPID)]);
      for (let i = 0; i < 50 && show('victim.service', ['ActiveState']).ActiveState !== 'failed'; i++) spawnSync('sleep', ['0.1']);
      const p = show('victim.service', ['Result', 'ExecMainStatus', 'ExecMainCode']);
      // The unit's SuccessExitStatus=SIGKILL keeps a stop by hand clean; the restart manager's last
      // ExecStopPost= fails a SIGKILL nobody asked for, so the unit fails (Result=exit-code, its).
      assert.deepEqual(p, { Result: 'exit-code', ExecMainStatus: '9', ExecMainCode: '2' });
      assert.match(env.sb.exec(['journalctl', '-u', 'victim.service', '--no-pager', '-o', 'cat']).stdout, /podgen-unit: the container ended with exit code 137 without a stop: a failure/);
      const again = run(['start', 'victim']);
      assert.equal(again.status, 0, again.stderr + again.stdout);
    } finally {
      run(['down', 'victim']);
    }
  });

  it('stop sends StopSignal to the container; one that ignores it is killed after StopTimeout', function () {
    define('polite', 'Exec=/bin/pgtest term-exit 0\nNetwork=none\nStopTimeout=20\n');
    define('stubborn', 'Exec=/bin/busybox sleep 600\nNetwork=none\nStopTimeout=2\n');
    define('usr1', 'Exec=/bin/sh -c "trap \'exit 3\' USR1; while :; do sleep 0.1; done"\nNetwork=none\nStopSignal=SIGUSR1\nStopTimeout=20\n');
    assert.equal(run(['up', 'polite', 'stubborn', 'usr1']).status, 0);
    try {
      const timed = (name: string): number => {
        const t0 = Date.now();
        env.sb.exec(['systemctl', 'stop', `${name}.service`]);
        return Date.now() - t0;
      };
      const polite = timed('polite');
      assert.ok(polite < 3000, `a container handling SIGTERM stops at once (${polite} ms)`);
      assert.equal(show('polite.service', ['ExecMainStatus']).ExecMainStatus, '0');
      const stubborn = timed('stubborn');
      assert.ok(stubborn >= 1800 && stubborn < 8000, `PID 1 ignoring SIGTERM is killed after StopTimeout=2 (${stubborn} ms)`);
      const usr1 = timed('usr1');
      assert.ok(usr1 < 3000, `StopSignal=SIGUSR1 is what the container gets (${usr1} ms)`);
      assert.equal(show('usr1.service', ['ExecMainStatus']).ExecMainStatus, '3');
    } finally {
      run(['down', 'polite', 'stubborn', 'usr1']);
    }
  });

  it('Notify=true: the unit is active only after the container sends READY=1 through $NOTIFY_SOCKET', function () {
    define('ready', 'Exec=/bin/pgtest notify 1500\nNetwork=none\nNotify=true\n');
    assert.equal(run(['install', 'ready']).status, 0);
    try {
      const t0 = Date.now();
      env.sb.execOk(['systemctl', 'start', 'ready.service']);
      const took = Date.now() - t0;
      assert.ok(took >= 1400, `systemctl start returned after ${took} ms, before READY=1`);
      const p = show('ready.service', ['ActiveState', 'Type', 'MainPID']);
      assert.equal(p.ActiveState, 'active');
      assert.equal(p.Type, 'notify');
      assert.equal(env.sb.exec(['cat', `/proc/${p.MainPID}/comm`]).stdout.trim(), 'pgtest', 'MAINPID is the container process');
    } finally {
      run(['down', 'ready']);
    }
  });

  it('start --timeout: a job systemd has not finished in time is named, with what to look at, exit 69', function () {
    // A notify container that never says READY=1 keeps its start job running (TimeoutStartSec is 90 s).
    define('neverready', 'Exec=/bin/busybox sleep 60\nNetwork=none\nNotify=true\n');
    assert.equal(run(['install', 'neverready']).status, 0);
    try {
      const t0 = Date.now();
      const r = run(['start', 'neverready', '--timeout', '2']);
      assert.ok(Date.now() - t0 < 30_000, 'podgen gave up in time');
      assert.equal(r.status, 69, r.stderr + r.stdout);
      assert.match(r.stderr, /^podgen: timed out after 2 s waiting for systemd to start neverready\.service$/m);
      assert.match(r.stderr, /hint: the jobs are still queued in systemd: see systemctl list-jobs and podgen status NAME/);
      assert.equal(show('neverready.service', ['ActiveState']).ActiveState, 'activating');
    } finally {
      run(['down', 'neverready']);
    }
  });

  it('socket activation: NAME.socket listens first; its fd reaches the container with LISTEN_FDS=1 and LISTEN_PID=1', async function () {
    const port = await freePort();
    define('act', 'Exec=/bin/pgtest serve-fd3\nNetwork=none\n');
    fs.writeFileSync(path.join(env.sb.unitDir, 'act.socket'), `[Socket]\nListenStream=127.0.0.1:${port}\n\n[Install]\nWantedBy=sockets.target\n`);
    assert.equal(run(['install', 'act']).status, 0);
    try {
      env.sb.execOk(['systemctl', 'start', 'act.socket']);
      assert.equal(show('act.service', ['ActiveState']).ActiveState, 'inactive', 'nothing runs before the first connection');
      const r = http(port);
      assert.deepEqual(r, { code: 200, body: 'served by fd 3: LISTEN_FDS=1 LISTEN_PID=1\n' });
      assert.equal(show('act.service', ['ActiveState']).ActiveState, 'active');
      // Again after a stop: that start takes the sh line (no Node), which must hand the fd on too.
      env.sb.execOk(['systemctl', 'stop', 'act.service']);
      assert.deepEqual(http(port), { code: 200, body: 'served by fd 3: LISTEN_FDS=1 LISTEN_PID=1\n' });
    } finally {
      env.sb.exec(['systemctl', 'stop', 'act.socket']);
      fs.rmSync(path.join(env.sb.unitDir, 'act.socket'), { force: true });
      run(['down', 'act']);
    }
  });

  it('definition keys reach the container: user, group, workdir, hostname, env, env file, read-only root, tmpfs, capabilities, no-new-privileges, ulimit, device, annotation, limits', function () {
    const envFile = path.join(env.staging, 'keys.env');
    fs.writeFileSync(envFile, '# comment\nF=from-file\n');
    const script = [
      'id', 'pwd', 'hostname', 'echo "E=$E F=$F"', 'grep -E "CapBnd|NoNewPrivs" /proc/self/status', 'ulimit -n',
      'touch /probe 2>/dev/null || echo root-read-only', 'touch /scratch/x && echo tmpfs-writable', 'test -c /dev/mynull && echo device-present',
    ].join('; ');
    define('keys', [
      `Exec=/bin/sh -c '${script}'`, 'Network=none', 'User=www', 'Group=www', 'WorkingDir=/srv', 'HostName=box', 'Environment=E=one',
      `EnvironmentFile=${envFile}`, 'ReadOnly=true', 'Tmpfs=/scratch', 'DropCapability=all', 'AddCapability=CAP_NET_BIND_SERVICE', 'NoNewPrivileges=true',
      'Ulimit=nofile=1234:1234', 'AddDevice=/dev/null:/dev/mynull', 'Annotation=org.example.note=hi', 'Label=tier=test', 'Memory=64m', 'CPUs=0.5', 'PidsLimit=50', '',
    ].join('\n'));
    assert.equal(run(['install', 'keys']).status, 0);
    try {
      const waited = env.sb.exec(['systemctl', 'start', '--wait', 'keys.service']);
      assert.equal(waited.status, 0, waited.stderr);
      const out = env.sb.exec(['journalctl', '-u', 'keys.service', '-o', 'cat', '--no-pager']).stdout;
      for (const want of [
        /^uid=33\(www\) gid=33\(www\)/m, /^\/srv$/m, /^box$/m, /^E=one F=from-file$/m, /^CapBnd:\s+0000000000000400$/m, /^NoNewPrivs:\s+1$/m,
        /^1234$/m, /^root-read-only$/m, /^tmpfs-writable$/m, /^device-present$/m,
      ]) assert.match(out, want);
      const unit = fs.readFileSync(path.join(env.sb.unitDir, 'keys.service'), 'utf8');
      assert.match(unit, /^MemoryMax=67108864$/m);
      assert.match(unit, /^CPUQuota=50%$/m);
      assert.match(unit, /^TasksMax=50$/m);
      assert.equal(show('keys.service', ['MemoryMax']).MemoryMax, String(64 * 1024 * 1024));
    } finally {
      run(['uninstall', 'keys']);
    }
  });

  it('annotations and labels are in the bundle while the container runs; podgen inspect shows the runtime side', function () {
    define('annot', 'Exec=/bin/busybox sleep 600\nNetwork=none\nAnnotation=org.example.note=hi\nLabel=tier=test\nStopTimeout=1\n');
    assert.equal(run(['up', 'annot']).status, 0);
    try {
      const config = JSON.parse(env.sb.exec(['cat', '/run/podgen/containers/annot/config.json']).stdout) as { annotations: Record<string, string> };
      assert.deepEqual(config.annotations, { 'label.tier': 'test', 'org.example.note': 'hi' });
      const inspect = env.sb.exec(['node', path.join(REPO_ROOT, 'bin/podgen'), 'inspect', 'annot']);
      assert.equal(inspect.status, 0, inspect.stderr);
      const info = JSON.parse(inspect.stdout) as { runtime?: { status: string; pid: number } };
      assert.equal(info.runtime?.status, 'running');
      assert.equal(String(info.runtime?.pid), show('annot.service', ['MainPID']).MainPID);
    } finally {
      run(['down', 'annot']);
    }
  });

  /** What a container could leave behind in the sandbox (which shares the host's network namespace). */
  const leftovers = (name: string): string[] => {
    const found: string[] = [];
    const mounts = env.sb.exec(['findmnt', '-rn', '-o', 'TARGET']).stdout.split('\n').filter((m) => m.includes(`/podgen/containers/${name}`));
    if (mounts.length) found.push(`mounts: ${mounts.join(' ')}`);
    if (env.sb.exec(['ip', 'netns', 'list']).stdout.includes(`podgen-${name}`)) found.push('network namespace');
    // A veth whose peer lives in the container's netns names that netns (link-netns podgen-NAME).
    const veths = env.sb.exec(['ip', '-o', 'link', 'show', 'master', 'podgen0']).stdout.split('\n').filter((l) => l.includes(`link-netns podgen-${name}`));
    if (veths.length) found.push(`veths: ${veths.join(' | ')}`);
    const rules = env.sb.exec(['sh', '-c', 'iptables-save; iptables-save -t nat']).stdout.split('\n').filter((l) => l.includes(`id: \\"${name}\\"`));
    if (rules.length) found.push(`iptables: ${rules.join(' | ')}`);
    // host-local keeps one file per leased IP, holding the container id.
    const leases = env.sb.exec(['sh', '-c', 'cd /run/podgen/cni/networks/podgen 2>/dev/null && grep -lx "' + name + '" [0-9]*']).stdout.split('\n').filter(Boolean);
    if (leases.length) found.push(`IPAM leases: ${leases.join(' ')}`);
    if (env.sb.exec(['test', '-e', `/sys/fs/cgroup/system.slice/${name}.service/container`]).status === 0) found.push('container cgroup');
    if (env.sb.exec(['test', '-e', `/run/podgen/containers/${name}`]).status === 0) found.push('bundle');
    return found;
  };

  it('clear errors in the journal and in podgen output: missing image, missing volume source, port in use, missing runtime, read-only store', async function () {
    const busy = net.createServer();
    const busyPort = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as net.AddressInfo).port)));
    const cases: Array<[string, string, RegExp]> = [
      ['noimage', `Image=${reg.address}/test/nope:1\nExec=/bin/true\nNetwork=none\n`, /podgen: .*test\/nope:1.*(not found|unknown)/i],
      ['novol', 'Exec=/bin/true\nNetwork=none\nVolume=/nonexistent/podgen-src:/data\n', /podgen: volume source \/nonexistent\/podgen-src does not exist \(for \/data\)\n.*hint: create it \(mkdir -p \/nonexistent\/podgen-src\)/],
      ['busyport', `Exec=/bin/busybox httpd -f -p 80\nPublishPort=127.0.0.1:${busyPort}:80\n`, new RegExp(`podgen: port 127\\.0\\.0\\.1:${busyPort}/tcp is already in use on this host\\n.*hint: stop what listens there`)],
      ['nocrun', 'Exec=/bin/true\nNetwork=none\nRuntime=crun\n', /podgen: the OCI runtime \/usr\/bin\/crun is not installed\n.*hint: apt-get install crun/],
    ];
    try {
      // crun is gone from the sandbox's overlay for this test (whiteout; the host keeps its copy).
      env.sb.exec(['rm', '-f', '/usr/bin/crun']);
      for (const [name, body, message] of cases) {
        fs.writeFileSync(path.join(defs, `${name}.container`), body.startsWith('Image=') ? `[Container]\n${body}` : `[Container]\nImage=${image}\n${body}`);
        const r = run(['up', name]);
        assert.notEqual(r.status, 0, `${name}: ${r.stdout}`);
        assert.match(r.stdout, message, `${name}: podgen up shows the journal excerpt`);
        // up pulls before starting, so a missing image never reaches the unit there; a plain start does.
        if (name === 'noimage') assert.match(r.stdout, /^noimage\.service: pull failed \(not started\)$/m);
        if (name === 'noimage') env.sb.exec(['systemctl', 'start', 'noimage.service']);
        const status = env.sb.exec(['systemctl', 'status', '--no-pager', '-n', '20', `${name}.service`]).stdout;
        assert.match(status, message, `${name}: systemctl status shows it too`);
        assert.deepEqual(leftovers(name), [], `${name} left things behind`);
        run(['down', name]);
      }
      // A read-only store: the error names the store and what must be writable.
      env.sb.execOk(['mount', '-o', 'remount,ro', '/var/lib/podgen/containers']);
      try {
        define('rostore', 'Exec=/bin/true\nNetwork=none\n');
        const r = run(['up', 'rostore']);
        assert.notEqual(r.status, 0);
        assert.match(r.stdout, /podgen: cannot write \/var\/lib\/podgen\/\S*: read-only file system\n.*hint: podgen keeps images and containers' writable layers under \/var\/lib\/podgen/);
      } finally {
        env.sb.execOk(['mount', '-o', 'remount,rw', '/var/lib/podgen/containers']);
        run(['down', 'rostore']);
      }
    } finally {
      busy.close();
      if (fs.existsSync('/usr/bin/crun')) fs.copyFileSync('/usr/bin/crun', path.join(env.sb.root, 'usr/bin/crun'));
    }
  });

  it('Runtime=crun runs the container with crun instead of runc', function () {
    // crun raises RLIMIT_MEMLOCK for its eBPF device filter: impossible where even root lacks
    // CAP_SYS_RESOURCE (some VMs and containers, like this project's machines). It says so itself.
    const capBnd = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
    if ((capBnd & (1n << 24n)) === 0n) {
      console.log('      skipped: crun cannot run containers on this machine: root lacks CAP_SYS_RESOURCE (crun must raise RLIMIT_MEMLOCK)');
      this.skip();
    }
    define('viacrun', "Exec=/bin/sh -c 'echo via crun; exit 4'\nNetwork=none\nRuntime=crun\n");
    assert.equal(run(['install', 'viacrun']).status, 0);
    try {
      const unit = fs.readFileSync(path.join(env.sb.unitDir, 'viacrun.service'), 'utf8');
      assert.match(unit, /^ExecStart=\/usr\/bin\/crun --root %t\/podgen\/runc create /m);
      const waited = env.sb.exec(['systemctl', 'start', '--wait', 'viacrun.service']);
      assert.notEqual(waited.status, 0);
      assert.deepEqual(show('viacrun.service', ['Result', 'ExecMainStatus']), { Result: 'exit-code', ExecMainStatus: '4' }, env.sb.exec(['journalctl', '-u', 'viacrun.service', '--no-pager', '-n', '30']).stdout);
      assert.match(env.sb.exec(['journalctl', '-u', 'viacrun.service', '-o', 'cat', '--no-pager']).stdout, /^via crun$/m);
    } finally {
      run(['uninstall', 'viacrun']);
    }
  });

  it('kill -9 of podgen prepare mid-start, then of the container: the next start works and nothing leaks', async function () {
    const port = await freePort();
    define('crash', `Exec=/bin/busybox httpd -f -p 80 -h /srv\nPublishPort=127.0.0.1:${port}:80\nStopTimeout=1\n`);
    assert.equal(run(['install', 'crash']).status, 0);
    try {
      // Spread over prepare's phases (mount, CNI plugins mid-ADD, runc create) on slow and fast machines alike.
      for (const delay of [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5]) {
        env.sb.execOk(['systemctl', 'start', '--no-block', 'crash.service']);
        spawnSync('sleep', [String(delay)]);
        const control = show('crash.service', ['ControlPID']).ControlPID;
        if (control && control !== '0') env.sb.exec(['kill', '-9', control]);
        for (let i = 0; i < 100 && /activating|deactivating/.test(show('crash.service', ['ActiveState']).ActiveState ?? ''); i++) spawnSync('sleep', ['0.1']);
        env.sb.exec(['systemctl', 'stop', 'crash.service']);
        env.sb.exec(['systemctl', 'reset-failed', 'crash.service']);
        assert.deepEqual(leftovers('crash'), [], `after kill -9 at ${delay} s`);
      }
      const start = run(['start', 'crash']);
      assert.equal(start.status, 0, start.stderr + start.stdout);
      assert.equal(http(port).code, 404, 'httpd answers (no index.html)');
      env.sb.execOk(['kill', '-9', show('crash.service', ['MainPID']).MainPID as string]);
      for (let i = 0; i < 50 && show('crash.service', ['ActiveState']).ActiveState !== 'failed'; i++) spawnSync('sleep', ['0.1']);
      assert.deepEqual(leftovers('crash'), [], 'after kill -9 of the container');
      assert.equal(run(['start', 'crash']).status, 0);
      assert.equal(http(port).code, 404);
    } finally {
      run(['down', 'crash']);
    }
    assert.deepEqual(leftovers('crash'), []);
  });

  it('containers on the bridge reach each other by name', async function () {
    define('peer-a', 'Exec=/bin/busybox httpd -f -p 80 -h /etc\nStopTimeout=1\n');
    define('peer-b', `Exec=/bin/busybox sleep 600\nStopTimeout=1\n`);
    assert.equal(run(['up', 'peer-a', 'peer-b']).status, 0);
    try {
      // peer-b started after peer-a and peer-a before peer-b: both hosts files name the other.
      for (const [from, to] of [['peer-b', 'peer-a'], ['peer-a', 'peer-b']] as const) {
        const hosts = env.sb.exec(['cat', `/run/podgen/containers/${from}/hosts`]).stdout;
        // (peer lines carry a trailing "# podgen peer" comment, which tells them from AddHost= lines)
        assert.match(hosts, new RegExp(`^10\\.90\\.\\d+\\.\\d+\\t${to}\\t# podgen peer$`, 'm'), hosts);
      }
      const r = env.sb.exec(['node', path.join(REPO_ROOT, 'bin/podgen'), 'exec', 'peer-b', '/bin/busybox', 'wget', '-q', '-O', '-', 'http://peer-a/passwd']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^root:x:0:0:/);
    } finally {
      run(['down', 'peer-a', 'peer-b']);
    }
  });

  it('100 start/stop cycles of a bridged container with a published port leave no veth, rule, lease, mount or netns', async function () {
    this.timeout(600_000);
    const port = await freePort();
    define('cycle', `Exec=/bin/pgtest term-exit 0\nPublishPort=127.0.0.1:${port}:80\n`);
    assert.equal(run(['install', 'cycle']).status, 0);
    try {
      const r = env.sb.exec(['sh', '-c', 'for i in $(seq 100); do systemctl start cycle.service && systemctl stop cycle.service || exit 1; done'], 600_000);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(leftovers('cycle'), []);
      assert.equal(env.sb.exec(['sh', '-c', 'journalctl -u cycle.service -o cat | grep -c "Started cycle.service"']).stdout.trim(), '100');
    } finally {
      run(['uninstall', 'cycle']);
    }
  });

  it('podgen run -d, exec, top, stats, rm; and podgen run in the foreground returns the container status', function () {
    const pg = (args: string[]) => env.sb.exec(['node', path.join(REPO_ROOT, 'bin/podgen'), ...args], 120_000);
    const started = pg(['run', '-dt', '--name', 'adhoc', '--network', 'none', '--stop-timeout', '1', '-e', 'GREETING=hi', image, '/bin/busybox', 'sleep', '600']);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stdout.trim(), /^[0-9a-f]{64}$/, 'the ID, as docker run -d prints it');
    try {
      assert.equal(show('adhoc.service', ['ActiveState']).ActiveState, 'active');
      const ex = pg(['exec', 'adhoc', '/bin/sh', '-c', 'echo $GREETING from $(hostname)']);
      assert.equal(ex.status, 0, ex.stderr);
      assert.equal(ex.stdout, 'hi from adhoc\n');
      assert.equal(pg(['exec', 'adhoc', '/bin/sh', '-c', 'exit 7']).status, 7, 'exec passes the exit status through');
      const top = pg(['top', 'adhoc']);
      assert.equal(top.status, 0, top.stderr);
      assert.match(top.stdout, /sleep 600/);
      const stats = pg(['stats', '--no-stream', '--json', 'adhoc']);
      assert.equal(stats.status, 0, stats.stderr);
      const [row] = JSON.parse(stats.stdout) as Array<{ name: string; memoryBytes: number; pids: number }>;
      assert.equal(row?.name, 'adhoc');
      assert.ok((row?.memoryBytes ?? 0) > 0 && (row?.pids ?? 0) >= 1, JSON.stringify(row));
      const rm = pg(['rm', 'adhoc']);
      assert.notEqual(rm.status, 0, 'rm refuses a running container');
      assert.match(rm.stderr, /container adhoc is running/);
    } finally {
      const t0 = Date.now();
      env.sb.exec(['systemctl', 'stop', 'adhoc.service']);
      assert.ok(Date.now() - t0 < 8000, '--stop-timeout 1 bounds the stop of a PID 1 that ignores SIGTERM');
    }
    // Stopped, a none-network container keeps its next start ready (as any such unit); rm takes it all.
    assert.equal(pg(['rm', 'adhoc']).status, 0);
    assert.deepEqual(leftovers('adhoc'), []);
    const fg = pg(['run', '--rm', '--network', 'none', image, '/bin/sh', '-c', 'echo in the foreground; exit 3']);
    assert.equal(fg.status, 3, fg.stderr);
    assert.equal(fg.stdout, 'in the foreground\n');
    const bad = pg(['run', '--security-opt', 'label=disable', image]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--security-opt label=disable is not supported by podgen's runtime/);
  });

  it('default confinement as podman\'s: a seccomp filter (Seccomp: 2) refuses move_pages with EPERM; SeccompProfile=unconfined lifts it, a profile of your own applies, Mask= hides a path; podgen run --privileged and --security-opt', function () {
    const probe = "Exec=/bin/sh -c 'grep ^Seccomp: /proc/self/status; /bin/pgtest move-pages; echo version $(wc -c < /proc/version)'\nNetwork=none\n";
    const own = path.join(env.staging, 'own-seccomp.json');
    fs.writeFileSync(own, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['move_pages'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    const outputOf = (name: string, body: string): string => {
      define(name, probe + body);
      assert.equal(run(['install', name]).status, 0);
      try {
        const waited = env.sb.exec(['systemctl', 'start', '--wait', `${name}.service`]);
        assert.equal(waited.status, 0, `${waited.stderr}${env.sb.exec(['journalctl', '-u', `${name}.service`, '-o', 'cat', '--no-pager']).stdout}`);
        return env.sb.exec(['journalctl', '-u', `${name}.service`, '-o', 'cat', '--no-pager']).stdout;
      } finally {
        inside(['uninstall', name]);
      }
    };
    const confined = outputOf('scdefault', '');
    assert.match(confined, /^Seccomp:\s+2$/m);
    assert.match(confined, /^move_pages: Operation not permitted \(errno 1\)$/m);
    assert.doesNotMatch(confined, /^version 0$/m, '/proc/version is not masked by default');
    const open = outputOf('scopen', 'SeccompProfile=unconfined\n');
    assert.match(open, /^Seccomp:\s+0$/m);
    assert.match(open, /^move_pages: ok$/m);
    const mine = outputOf('scown', `SeccompProfile=${own}\nMask=/proc/version\n`);
    assert.match(mine, /^Seccomp:\s+2$/m);
    assert.match(mine, /^move_pages: Permission denied \(errno 13\)$/m);
    assert.match(mine, /^version 0$/m, 'Mask=/proc/version hides it');

    const pg = (args: string[]) => env.sb.exec(['node', path.join(REPO_ROOT, 'bin/podgen'), ...args], 120_000);
    const status = "grep -E '^(Seccomp|CapEff):' /proc/self/status; /bin/pgtest move-pages";
    const privileged = pg(['run', '--rm', '--network', 'none', '--privileged', image, '/bin/sh', '-c', `${status}; test -c /dev/net/tun && echo host-devices`]);
    assert.equal(privileged.status, 0, privileged.stderr);
    assert.match(privileged.stdout, /^Seccomp:\s+0$/m);
    // Every capability podgen holds (the sandbox's bounding set), not docker's default set.
    const bounding = /CapBnd:\s+(\S+)/.exec(env.sb.exec(['grep', 'CapBnd', '/proc/self/status']).stdout)?.[1];
    assert.match(privileged.stdout, new RegExp(`^CapEff:\\s+${bounding}$`, 'm'));
    assert.match(privileged.stdout, /^move_pages: ok$/m);
    assert.match(privileged.stdout, /^host-devices$/m);
    const unconfined = pg(['run', '--rm', '--network', 'none', '--security-opt', 'seccomp=unconfined', image, '/bin/sh', '-c', status]);
    assert.equal(unconfined.status, 0, unconfined.stderr);
    assert.match(unconfined.stdout, /^Seccomp:\s+0$/m);
    assert.match(unconfined.stdout, /^CapEff:\s+00000000a80425fb$/m, "docker's default capabilities, not --privileged's");
    const plain = pg(['run', '--rm', '--network', 'none', image, '/bin/sh', '-c', status]);
    assert.match(plain.stdout, /^Seccomp:\s+2$/m);
    assert.match(plain.stdout, /^move_pages: Operation not permitted \(errno 1\)$/m);
    // A profile that is not there, or not a profile: the exit codes of the README, the file and field named.
    const missing = pg(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${own}.gone`, image, '/bin/true']);
    assert.equal(missing.status, 66, missing.stderr);
    assert.match(missing.stderr, /seccomp profile \S+own-seccomp\.json\.gone does not exist/);
    const broken = path.join(env.staging, 'broken-seccomp.json');
    fs.writeFileSync(broken, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_MAYBE' }] }));
    const bad = pg(['run', '--rm', '--network', 'none', '--security-opt', `seccomp=${broken}`, image, '/bin/true']);
    assert.equal(bad.status, 65, bad.stderr);
    assert.match(bad.stderr, /syscalls\[0\]\.action "SCMP_ACT_MAYBE" is not a seccomp action/);
  });

  it('after a reboot of the sandbox an enabled container comes back by itself (nothing of podgen running but prepare), then down leaves nothing', async function () {
    const port = await freePort();
    define('boot', `Exec=/bin/busybox httpd -f -p 80 -h /etc\nPublishPort=127.0.0.1:${port}:80\nStopTimeout=1\nRestartPolicy=always\n\n[Install]\nWantedBy=multi-user.target\n`);
    assert.equal(run(['up', 'boot']).status, 0);
    env.sb.reboot();
    let state = '';
    for (let i = 0; i < 300 && state !== 'active'; i++, spawnSync('sleep', ['0.2'])) state = show('boot.service', ['ActiveState']).ActiveState ?? '';
    assert.equal(state, 'active', env.sb.exec(['systemctl', 'status', '--no-pager', 'boot.service']).stdout);
    assert.equal(http(port, 'hostname').body, 'boot\n');
    assert.equal(run(['down', 'boot']).status, 0);
    assert.deepEqual(leftovers('boot'), []);
  });

  it('rmi refuses an image a running container uses, not one a stopped container is ready to start from; --force removes the image but not the layers under the container', function () {
    define('holder', 'Exec=/bin/busybox sleep 600\nNetwork=none\nStopTimeout=1\n');
    const up = run(['up', 'holder']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    // rmi runs where the container's mounts are: in the sandbox.
    const rmi = (...args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'rmi', ...args, image]);
    try {
      const refused = rmi();
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^podgen: ${image.replace(/[.]/g, '\\.')} is used by container holder$`, 'm'));
      assert.match(refused.stderr, /hint: stop those containers first, or use --force/);
      // Stopped, its next start's root stays mounted over the image: that does not hold the image.
      assert.equal(run(['stop', 'holder']).status, 0);
      assert.deepEqual(leftovers('holder'), ['mounts: /var/lib/podgen/containers/holder/rootfs', 'bundle']);
      const freed = rmi();
      assert.equal(freed.status, 0, freed.stderr);
      assert.deepEqual(leftovers('holder'), ['bundle'], 'rmi unmounted the stopped container\'s ready root');
      assert.equal(env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'pull', '-q', image]).status, 0);
      assert.equal(run(['start', 'holder']).status, 0);
      const forced = rmi('--force');
      assert.equal(forced.status, 0, forced.stderr);
      assert.equal(env.sb.exec(['test', '-x', '/var/lib/podgen/containers/holder/rootfs/bin/busybox']).status, 0, 'the running container lost its layers');
      assert.equal(show('holder.service', ['ActiveState']).ActiveState, 'active');
    } finally {
      // Running: down drops the restart marker first, so the stop's cleanup removes everything.
      run(['down', 'holder']);
      // The tests after this one start containers of this image again.
      const back = env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'pull', '-q', image]);
      assert.equal(back.status, 0, back.stderr);
    }
    assert.deepEqual(leftovers('holder'), []);
  });

  it('a named volume starts with the image\'s files at its path and keeps what the container writes across starts', function () {
    define('vol', `Exec=/bin/sh -c 'ls -a /srv; cat /srv/count 2>/dev/null; echo run >> /srv/count'\nNetwork=none\nVolume=pgdata:/srv\n`);
    assert.equal(run(['install', 'vol']).status, 0);
    try {
      for (let i = 0; i < 2; i++) assert.equal(env.sb.exec(['systemctl', 'start', '--wait', 'vol.service']).status, 0);
      const out = env.sb.exec(['journalctl', '-u', 'vol.service', '-o', 'cat', '--no-pager']).stdout;
      assert.match(out, /^\.keep$/m, 'the image\'s /srv/.keep was copied into the new volume');
      assert.match(out, /^run$/m, 'the second start saw what the first wrote');
      assert.equal(env.sb.exec(['cat', '/var/lib/podgen/volumes/pgdata/_data/count']).stdout, 'run\nrun\n');
    } finally {
      inside(['uninstall', 'vol']);
    }
  });

  it('a host/none-network container restarts without Node: stop leaves a fresh root mounted, start runs runc at once; a changed definition or a pull prepares again; down removes it all', function () {
    const body = (tag: string) => `Exec=/bin/sh -c 'ls /scratch-${tag} 2>/dev/null; touch /written; ls /written'\nNetwork=none\n`;
    define('quick', body('a'));
    assert.equal(run(['install', 'quick']).status, 0);
    const mtime = (): string => env.sb.exec(['stat', '-c', '%Y.%i', '/run/podgen/containers/quick/config.json']).stdout.trim();
    try {
      assert.equal(env.sb.exec(['systemctl', 'start', '--wait', 'quick.service']).status, 0);
      const first = mtime();
      assert.match(env.sb.exec(['sh', '-c', 'ls /run/podgen/containers/quick']).stdout, /^ready-[0-9a-f]{16}$/m, 'cleanup re-armed the restart marker');
      // Stopped: the bundle and the next start's root, mounted over an empty writable layer.
      assert.deepEqual(leftovers('quick'), ['mounts: /var/lib/podgen/containers/quick/rootfs', 'bundle']);
      assert.equal(env.sb.exec(['ls', '-A', '/var/lib/podgen/containers/quick/upper']).stdout, '', 'the writable layer is fresh');
      spawnSync('sleep', ['1.1']);
      assert.equal(env.sb.exec(['systemctl', 'start', '--wait', 'quick.service']).status, 0);
      assert.equal(mtime(), first, 'the restart did not run prepare (config.json untouched)');
      // The container saw a fresh writable layer each time: /written did not survive.
      assert.equal(env.sb.exec(['sh', '-c', 'journalctl -u quick.service -o cat | grep -c "^/written$"']).stdout.trim(), '2');
      // A changed definition: new arguments, new marker, full prepare.
      define('quick', body('b'));
      assert.equal(run(['install', 'quick']).status, 0);
      spawnSync('sleep', ['1.1']);
      assert.equal(env.sb.exec(['systemctl', 'start', '--wait', 'quick.service']).status, 0);
      const second = mtime();
      assert.notEqual(second, first, 'a changed definition is prepared again');
      // A pull may have changed what the tag means: every prepared container prepares again.
      assert.equal(inside(['pull', '-q', image]).status, 0);
      assert.doesNotMatch(env.sb.exec(['sh', '-c', 'ls /run/podgen/containers/quick']).stdout, /^ready-/m);
      assert.deepEqual(leftovers('quick'), ['bundle'], 'a pull also unmounts the ready root of a stopped container');
      spawnSync('sleep', ['1.1']);
      assert.equal(env.sb.exec(['systemctl', 'start', '--wait', 'quick.service']).status, 0);
      assert.notEqual(mtime(), second, 'after a pull the next start prepares again');
    } finally {
      // Stopped, with its next root mounted: down unmounts and removes it (from where the mount is).
      assert.equal(inside(['down', 'quick']).status, 0);
    }
    assert.deepEqual(leftovers('quick'), [], 'down removes the kept bundle');
  });
});
