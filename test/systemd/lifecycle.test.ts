// podgen up / ps / stop / start / down with real containers in the sandbox's
// real systemd. Until podgen's own runtime exists, the containers run through
// the podman engine (podman 4.3 from Debian, vfs storage; PidsLimit=-1
// because the sandbox's delegated cgroup has no pids controller; StopTimeout=1
// because busybox httpd as PID 1 ignores SIGTERM).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PODGEN_BIN, podgen } from '../support/cli';
import { freePort } from '../support/ports';
import { hostSideEnv, type Sandbox, useSandbox } from '../support/sandbox';



function podgenIn(sb: Sandbox, defs: string, args: string[]) {
  return podgen(args, { cwd: fs.existsSync(defs) ? defs : '/', env: hostSideEnv(sb, defs) });
}

/** A busybox image in the sandbox's own podman storage (inside the overlay, never the host's). */
function importBusybox(sb: Sandbox): void {
  if (fs.existsSync(path.join(sb.root, 'var/tmp/podgen-bb.tar'))) return;
  const rootfs = path.join(sb.root, 'var/tmp/podgen-bb');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(rootfs, 'bin', 'sh'));
  assert.equal(spawnSync('tar', ['-C', rootfs, '-cf', path.join(sb.root, 'var/tmp/podgen-bb.tar'), '.']).status, 0);
  sb.execOk(['podman', '--storage-driver', 'vfs', 'import', '-q', '/var/tmp/podgen-bb.tar', 'localhost/podgen-bb:latest']);
}

describe('podgen up / ps / stop / start / down (real containers, sandbox systemd)', function () {
  this.timeout(180_000);
  const env = useSandbox('podgen-life-');
  let defs: string;
  let port: number;
  let port2: number;
  const run = (args: string[]) => podgenIn(env.sb, defs, args);
  const journal = (cursor: string): string[] => env.sb.journalSince(cursor).split('\n');
  const http = (): number => Number(spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`], { encoding: 'utf8' }).stdout || 0);
  const definition = (exec: string): string =>
    `[Container]\nImage=localhost/podgen-bb:latest\nGlobalArgs=--storage-driver vfs --runtime runc\nPidsLimit=-1\nNetwork=host\nExec=${exec}\nStopTimeout=1\nRestartPolicy=on-failure:2\n\n[Install]\nWantedBy=multi-user.target\n`;

  before(async function () {
    port = await freePort();
    port2 = await freePort();
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
    importBusybox(env.sb);
    fs.writeFileSync(path.join(defs, 'web.container'), definition(`/bin/busybox httpd -f -p 127.0.0.1:${port}`));
    fs.writeFileSync(path.join(defs, 'broken.container'), definition('/bin/busybox false'));
  });
  after(function () {
    run(['down', 'web', 'broken']);
  });

  it('up starts the container and waits for it; it answers HTTP', function () {
    const r = run(['up', '--engine', 'podman', 'web']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^web\.service: done \(running; active\/running, pid \d+\)$/m);
    assert.ok(http() > 0, 'nothing listens on the published port');
  });

  it('a second up with nothing changed writes nothing, reloads nothing and queues no job', function () {
    const cursor = env.sb.journalCursor();
    const r = run(['up', '--engine', 'podman', 'web']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nothing to do: every unit is installed, unchanged and running/);
    const lines = journal(cursor);
    assert.equal(lines.filter((l) => l === 'Reloading.').length, 0);
    assert.equal(lines.filter((l) => /Start(ing|ed) web\.service/.test(l)).length, 0);
  });

  it('up --dry-run shows the unit diff and the job, and changes nothing', function () {
    const defFile = path.join(defs, 'web.container');
    const original = fs.readFileSync(defFile, 'utf8');
    const unitBefore = fs.readFileSync(path.join(env.sb.unitDir, 'web.service'), 'utf8');
    fs.writeFileSync(defFile, original.replace('StopTimeout=1', 'StopTimeout=2'));
    try {
      const cursor = env.sb.journalCursor();
      const r = run(['up', '--dry-run', '--engine', 'podman', 'web']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^web\.service: changed; would restart it$/m);
      assert.match(r.stdout, /^ {2}-StopTimeout=1$/m);
      assert.match(r.stdout, /^ {2}\+StopTimeout=2$/m);
      assert.match(r.stdout, /dry run: nothing was written, reloaded or started/);
      assert.equal(fs.readFileSync(path.join(env.sb.unitDir, 'web.service'), 'utf8'), unitBefore);
      assert.equal(journal(cursor).filter((l) => l === 'Reloading.' || /Stopp(ing|ed) web/.test(l)).length, 0);
    } finally {
      fs.writeFileSync(defFile, original);
    }
  });

  it('inspect shows where the unit came from and what systemd says', function () {
    const r = run(['inspect', 'web']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { unitFile: string; definition: string; engine: string; container: Record<string, string>; systemd: { activeState: string } };
    assert.equal(info.unitFile, path.join(env.sb.unitDir, 'web.service'));
    assert.equal(info.definition, path.join(defs, 'web.container'));
    assert.equal(info.engine, 'podman');
    assert.equal(info.container.Image, 'localhost/podgen-bb:latest');
    assert.equal(info.systemd.activeState, 'active');
  });

  it('ps shows the unit from D-Bus: state, pid, policy, image', function () {
    const r = run(['ps', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ unit: string; active: string; sub: string; mainPid: number; restartPolicy: string; image: string; uptimeSeconds: number }>;
    const web = rows.find((x) => x.unit === 'web.service');
    assert.ok(web, r.stdout);
    assert.equal(web.active, 'active');
    assert.equal(web.sub, 'running');
    assert.ok(web.mainPid > 0);
    assert.equal(web.restartPolicy, 'on-failure:2');
    assert.equal(web.image, 'localhost/podgen-bb:latest');
    assert.ok(web.uptimeSeconds >= 0);
    assert.match(run(['ps']).stdout, /^systemd-web +definition +running +[\d.]+s +\d+ +0 +on-failure:2 +localhost\/podgen-bb:latest .* web\.service$/m);
    // Run where systemd is PID 1, as root with no bus address set, ps asks systemd over its private
    // socket (as systemctl does), and sees the same.
    const inside = env.sb.exec(['env', 'PODGEN_TRACE=1', process.execPath, PODGEN_BIN, 'ps', '--json']);
    assert.equal(inside.status, 0, inside.stderr);
    assert.match(inside.stderr, /status reader: \/run\/systemd\/private/);
    const same = (JSON.parse(inside.stdout) as typeof rows).find((x) => x.unit === 'web.service');
    assert.deepEqual({ ...same, uptimeSeconds: 0 }, { ...web, uptimeSeconds: 0 });
  });

  it('status and logs show systemd\'s view and the container\'s output', function () {
    spawnSync('curl', ['-s', `http://127.0.0.1:${port}/hello-from-the-test`]);
    const st = run(['status', 'web']);
    assert.equal(st.status, 0, st.stderr);
    assert.match(st.stdout, /^web\.service: active\/running, pid \d+, restarts 0, last exit 0, result success$/m);
    assert.match(st.stdout, /unit file: \/etc\/systemd\/system\/web\.service/);
    const logs = run(['logs', '-n', '50', 'web']);
    assert.equal(logs.status, 0, logs.stderr);
    assert.match(logs.stdout, /Started web\.service/);
    const missing = run(['status', 'nosuch']);
    assert.equal(missing.status, 66);
    assert.match(missing.stderr, /no such container: nosuch/);
  });

  it('stop and start wait for their jobs', function () {
    const stop = run(['stop', 'web']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(http(), 0);
    const start = run(['start', 'web']);
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stdout, /^web\.service: done /m);
    assert.ok(http() > 0);
  });

  it('on a terminal, up shows a live count of its jobs (script(1) gives it a pseudo-terminal)', function () {
    fs.writeFileSync(path.join(defs, 'tty1.container'), definition('/bin/busybox sleep 600'));
    fs.writeFileSync(path.join(defs, 'tty2.container'), definition('/bin/busybox sleep 600'));
    try {
      const cmd = [process.execPath, PODGEN_BIN, 'up', '--engine', 'podman', 'tty1', 'tty2'].join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: defs, env: { ...process.env, ...hostSideEnv(env.sb, defs) }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stdout);
      assert.match(r.stdout, /jobs: 0\/2 done, 2 running/);
      assert.match(r.stdout, /\r\x1b\[2Kjobs: 2\/2 done\r?\n/);
      assert.match(r.stdout, /^tty1\.service: done /m);
    } finally {
      run(['down', 'tty1', 'tty2']);
    }
  });

  it('a container that fails at start: non-zero exit, systemd state and the journal', function () {
    const r = run(['up', '--engine', 'podman', 'broken']);
    assert.notEqual(r.status, 0);
    // RestartPolicy=on-failure:2: up reports the container as the restart manager left it (restarting,
    // or given up), with systemd's own view (a restarting unit has Result and ExecMainStatus reset).
    // Read in the moment after the last failure, the stop the manager queued is still running: stopping.
    const line = /^broken\.service: failed \((restarting \(in [\d.]+s\)|starting|stopping|gave up after 2 restarts); ActiveState=(\S+) SubState=\S+ Result=(\S+) ExecMainStatus=(\d+)(, (\d) restarts?)?\)$/m.exec(r.stdout);
    assert.ok(line, r.stdout);
    const [, container, active, result, status] = line;
    if (container?.startsWith('gave up')) assert.deepEqual([active, result, status], ['failed', 'exit-code', '1'], r.stdout);
    else if (container === 'stopping') assert.deepEqual([active, result, status], ['deactivating', 'exit-code', '1'], r.stdout);
    else assert.notEqual(active, 'active', r.stdout);
    assert.match(r.stdout, /^ {4}.*broken\.service: Main process exited, code=exited, status=1\/FAILURE/m);
    assert.match(r.stderr, /broken\.service did not come up/);
  });

  it('unless-stopped: a stop by hand is recorded (not a failure); a start by hand works, with systemctl as with podgen', function () {
    fs.writeFileSync(path.join(defs, 'web.container'), definition(`/bin/busybox httpd -f -p 127.0.0.1:${port}`).replace('RestartPolicy=on-failure:2', 'RestartPolicy=unless-stopped'));
    const up = run(['up', '--engine', 'podman', 'web']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.equal(run(['stop', 'web']).status, 0);
    const record = fs.readFileSync(path.join(env.sb.root, 'var/lib/podgen/state/web.service'), 'utf8');
    assert.match(record, /^phase=stopped$/m, record);
    assert.equal(env.sb.exec(['systemctl', 'is-active', 'web.service']).stdout.trim(), 'inactive');
    assert.equal(http(), 0);
    // docker start works after docker stop: so does a plain systemctl start (what keeps it down is the boot rule).
    env.sb.execOk(['systemctl', 'start', 'web.service']);
    assert.equal(env.sb.exec(['systemctl', 'is-active', 'web.service']).stdout.trim(), 'active');
    assert.ok(http() > 0);
    assert.equal(run(['stop', 'web']).status, 0);
    const start = run(['start', 'web']);
    assert.equal(start.status, 0, start.stderr + start.stdout);
    assert.ok(http() > 0);
  });

  it('two podgen up at once on overlapping units serialise and both end correct', async function () {
    const { spawn } = await import('node:child_process');
    const argsFor = (names: string[]) => [PODGEN_BIN, 'up', '--engine', 'podman', ...names];
    const environment = { ...process.env, ...hostSideEnv(env.sb, defs) };
    fs.writeFileSync(path.join(defs, 'web.container'), definition(`/bin/busybox httpd -f -p 127.0.0.1:${port}`));
    fs.writeFileSync(path.join(defs, 'web2.container'), definition(`/bin/busybox httpd -f -p 127.0.0.1:${port2}`));
    const runAsync = (names: string[]) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, argsFor(names), { cwd: defs, env: environment, stdio: 'ignore' }).on('exit', resolve));
    const [a, b] = await Promise.all([runAsync(['web', 'web2']), runAsync(['web2', 'web'])]);
    assert.equal(a, 0);
    assert.equal(b, 0);
    for (const u of ['web.service', 'web2.service']) assert.equal(env.sb.exec(['systemctl', 'is-active', u]).stdout.trim(), 'active', u);
    assert.ok(http() > 0);
    assert.equal(run(['down', 'web2']).status, 0);
  });

  it('kill -9 of podgen up at 50 random moments: never a partial unit file, and a re-run converges', async function () {
    const { spawn } = await import('node:child_process');
    const unitFile = path.join(env.sb.unitDir, 'web.service');
    const environment = { ...process.env, ...hostSideEnv(env.sb, defs) };
    let killedMidway = 0;
    // Every complete unit text the file may legitimately hold: the one before, and each trial's.
    const complete = new Set<string>(fs.existsSync(unitFile) ? [fs.readFileSync(unitFile, 'utf8')] : []);
    for (let trial = 0; trial < 50; trial++) {
      // A different definition each time, so every run has a unit to rewrite.
      fs.writeFileSync(path.join(defs, 'web.container'), `${definition(`/bin/busybox httpd -f -p 127.0.0.1:${port}`)}\n[X-Trial]\nN=${trial}\n`);
      complete.add(run(['generate', '--engine', 'podman', 'web']).stdout);
      const child = spawn(process.execPath, [PODGEN_BIN, 'up', '--engine', 'podman', 'web'], { cwd: defs, env: environment, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      const exited = child.exitCode !== null;
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
      if (!exited) killedMidway++;
      const text = fs.existsSync(unitFile) ? fs.readFileSync(unitFile, 'utf8') : undefined;
      if (text !== undefined) assert.ok(complete.has(text), `partial or unexpected unit after trial ${trial}:\n${text}`);
    }
    assert.ok(killedMidway >= 25, `only ${killedMidway} of 50 runs were killed before finishing`);
    const again = run(['up', '--engine', 'podman', 'web']);
    assert.equal(again.status, 0, again.stderr + again.stdout);
    assert.match(fs.readFileSync(unitFile, 'utf8'), /\[X-Trial\]\nN=49\n/);
    assert.equal(env.sb.exec(['systemctl', 'is-active', 'web.service']).stdout.trim(), 'active');
    assert.deepEqual(fs.readdirSync(env.sb.unitDir).filter((n) => /\.podgen-\d+-\d+$/.test(n)), [], 'temporary files left behind');
  });

  it('down stops, disables and removes', function () {
    const r = run(['down', 'web', 'broken']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /web\.service: stopped, disabled and removed/);
    assert.ok(!fs.existsSync(path.join(env.sb.unitDir, 'web.service')));
    assert.equal(http(), 0);
  });
});

describe('boot-time autostart (the sandbox systemd is halted and booted again)', function () {
  this.timeout(300_000);
  const env = useSandbox('podgen-boot-');
  let defs: string;
  let ports: number[] = [];
  const run = (args: string[]) => podgenIn(env.sb, defs, args);
  const http = (port: number): number =>
    Number(spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`], { encoding: 'utf8' }).stdout || 0);

  before(async function () {
    ports = [await freePort(), await freePort()];
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
    importBusybox(env.sb);
    const def = (port: number, unit: string): string =>
      `${unit}[Container]\nImage=localhost/podgen-bb:latest\nGlobalArgs=--storage-driver vfs --runtime runc\nPidsLimit=-1\nNetwork=host\nStopTimeout=1\nExec=/bin/busybox httpd -f -p 127.0.0.1:${port}\nRestartPolicy=always\n\n[Install]\nWantedBy=multi-user.target\n`;
    fs.writeFileSync(path.join(defs, 'bootdb.container'), def(ports[0] as number, ''));
    fs.writeFileSync(path.join(defs, 'bootweb.container'), def(ports[1] as number, '[Unit]\nRequires=bootdb.container\nAfter=bootdb.container\n\n'));
  });
  after(function () {
    run(['down', 'bootweb', 'bootdb']);
  });

  it('up -f DIR brings up a directory; after a reboot both come back in order with no podgen running', function () {
    const r = run(['up', '--engine', 'podman', '-f', defs]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    env.sb.reboot();
    // Nothing of podgen ran during this boot: only systemd and the units podgen installed.
    const show = (unit: string, prop: string): string => env.sb.execOk(['systemctl', 'show', '-p', prop, '--value', unit]).trim();
    const deadline = Date.now() + 60_000;
    while ((show('bootdb.service', 'ActiveState') !== 'active' || show('bootweb.service', 'ActiveState') !== 'active') && Date.now() < deadline) {
      spawnSync('sleep', ['0.2']);
    }
    assert.equal(show('bootdb.service', 'ActiveState'), 'active');
    assert.equal(show('bootweb.service', 'ActiveState'), 'active');
    const dbUp = Number(show('bootdb.service', 'ActiveEnterTimestampMonotonic'));
    const webStart = Number(show('bootweb.service', 'InactiveExitTimestampMonotonic'));
    assert.ok(dbUp > 0 && webStart >= dbUp, `bootweb started (${webStart}) before bootdb was up (${dbUp})`);
    assert.ok(http(ports[0] as number) > 0 && http(ports[1] as number) > 0, 'the containers do not answer after the reboot');
  });
});
