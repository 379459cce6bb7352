// Rootless containers end to end (issue: podgen --user with the podgen engine): real non-root
// users in the sandbox, each with subordinate ids and a user manager started by lingering;
// their containers run through podgen's own runtime in a user namespace (newuidmap), on an
// overlay the runtime mounts inside it, with pasta for the network and published ports.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cli';
import { freePort } from '../support/ports';
import { until, useRestartHarness } from '../support/restartHarness';

interface User {
  readonly name: string;
  readonly uid: number;
}
const ALICE: User = { name: 'pgrla', uid: 1601 };
const BOB: User = { name: 'pgrlb', uid: 1602 };

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function answers(port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await get(port);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('rootless containers: podgen --user with the podgen engine (sandbox, real users)', function () {
  this.timeout(180_000);
  const env = useRestartHarness('podgen-rootless-');
  let alicePort = 0;

  /**
   * podgen inside the sandbox as USER, as a login would have it: no capabilities, the user's bus,
   * and the full bounding set a login keeps (newuidmap's file capabilities need it).
   */
  const asUser = (u: User, args: readonly string[], extraEnv: readonly string[] = []) => {
    const r = spawnSync(
      'nsenter',
      [
        '-t', String(env.sb.pid), '-a',
        'setpriv', `--reuid=${u.uid}`, `--regid=${u.uid}`, '--init-groups', '--inh-caps=-all',
        'env', '-i', `HOME=/home/${u.name}`, `USER=${u.name}`, `XDG_RUNTIME_DIR=/run/user/${u.uid}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${u.uid}/bus`, 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...extraEnv,
        process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const okAs = (u: User, args: readonly string[]): string => {
    const r = asUser(u, args);
    assert.equal(r.status, 0, `podgen ${args.join(' ')} as ${u.name}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const home = (u: User, rel = ''): string => path.join(env.sb.root, 'home', u.name, rel);
  const writeAs = (u: User, rel: string, text: string): void => {
    env.sb.execOk(['install', '-D', '-o', u.name, '-g', u.name, '-m', '0644', '/dev/null', `/home/${u.name}/${rel}`]);
    fs.writeFileSync(home(u, rel), text);
  };
  const subStart = (u: User): number => Number(new RegExp(`^${u.name}:(\\d+):`, 'm').exec(env.sb.exec(['cat', '/etc/subuid']).stdout)?.[1]);
  const userJournal = (u: User, unit: string): string => env.sb.exec(['journalctl', '--no-pager', '-n', '60', `_UID=${u.uid}`, '+', `USER_UNIT=${unit}`, '+', `_SYSTEMD_USER_UNIT=${unit}`]).stdout;
  const userUnitState = (u: User, unit: string): string =>
    env.sb.exec(['systemctl', `--machine=${u.name}@.host`, '--user', 'show', '-p', 'ActiveState,SubState,MainPID,NRestarts', unit]).stdout;

  function addUser(u: User): void {
    env.sb.execOk(['useradd', '--create-home', '--uid', String(u.uid), '--user-group', u.name]);
    // useradd gives a new user a subordinate range of its own (login.defs SUB_UID_*): make sure.
    for (const file of ['/etc/subuid', '/etc/subgid']) assert.match(env.sb.exec(['cat', file]).stdout, new RegExp(`^${u.name}:\\d+:65536$`, 'm'), `useradd gave ${u.name} a range in ${file}`);
    // The sandbox's root is an overlay, which cannot be an overlay's upper layer: the writable
    // layers go on a tmpfs, as the root store's do (sandbox.ts).
    // (In /etc/fstab, so that it is there again when the sandbox boots.)
    const containers = `/home/${u.name}/.local/share/podgen/containers`;
    env.sb.execOk(['install', '-d', '-o', u.name, '-g', u.name, '-m', '0700', `/home/${u.name}/.local`, `/home/${u.name}/.local/share`, `/home/${u.name}/.local/share/podgen`, containers]);
    fs.appendFileSync(path.join(env.sb.root, 'etc/fstab'), `tmpfs ${containers} tmpfs mode=0700,uid=${u.uid},gid=${u.uid} 0 0\n`);
    env.sb.execOk(['mount', containers]);
    // A careful admin's homes: nobody else may enter them.
    env.sb.execOk(['chmod', '0700', `/home/${u.name}`]);
    env.sb.execOk([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'linger', u.name]);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(env.sb.root, `run/user/${u.uid}/bus`)); i++) spawnSync('sleep', ['0.1']);
  }

  before(function () {
    // Debian's udev makes /dev/net/tun 0666; this machine's is 0600, and nspawn copies the mode
    // into the sandbox's own /dev (a node of its own: the host's stays as it is).
    // A tmpfiles.d line does the same at every boot of the sandbox.
    fs.writeFileSync(path.join(env.sb.root, 'etc/tmpfiles.d/podgen-test-tun.conf'), 'z /dev/net/tun 0666 - - -\n');
    env.sb.execOk(['chmod', '0666', '/dev/net/tun']);
    // The user manager runs podgen from this checkout: its directories must be passable for them.
    for (let d = path.dirname(REPO_ROOT); d !== '/'; d = path.dirname(d)) env.sb.execOk(['chmod', 'o+x', d]);
    addUser(ALICE);
    addUser(BOB);
  });
  after(function () {
    for (const u of [ALICE, BOB]) {
      asUser(u, ['down', '--user', 'web']);
      env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'linger', u.name, '--off']);
    }
  });

  it('a user serves busybox httpd from their home on a published port, as root in the container and themselves outside', async function () {
    const port = await freePort();
    okAs(ALICE, ['pull', '--user', '-q', env.h.image]);
    writeAs(ALICE, 'www/index.html', 'hello from alice\n');
    writeAs(
      ALICE,
      'web.container',
      `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:8080\nVolume=/home/${ALICE.name}/www:/www:ro\nExec=/bin/busybox httpd -f -p 8080 -h /www\nRestartPolicy=always\n\n[Service]\nIOWeight=50\n\n[Install]\nWantedBy=default.target\n`,
    );
    const up = asUser(ALICE, ['up', '--user', `/home/${ALICE.name}/web.container`]);
    assert.equal(up.status, 0, `${up.stderr}${up.stdout}\n${userJournal(ALICE, 'web.service')}`);
    // A limit whose controller her user manager was not given is said, with the fix.
    const delegated = env.sb.exec(['cat', `/sys/fs/cgroup/user.slice/user-${ALICE.uid}.slice/user@${ALICE.uid}.service/cgroup.controllers`]).stdout.split(/\s+/);
    const ioWarning = /web\.service sets IOWeight= but the io controller is not delegated to your user manager[^]*Delegate=cpu memory pids io/;
    if (delegated.includes('io')) assert.doesNotMatch(up.stderr, ioWarning);
    else assert.match(up.stderr, ioWarning);
    assert.equal(await answers(port, 10_000).catch((e: Error) => `${e.message}\n${userJournal(ALICE, 'web.service')}`), 'hello from alice\n');
    const state = userUnitState(ALICE, 'web.service');
    assert.match(state, /ActiveState=active/);
    // Root in the container is alice outside; the container's processes are hers.
    const pid = Number(/MainPID=(\d+)/.exec(state)?.[1]);
    const status = env.sb.exec(['cat', `/proc/${pid}/status`]).stdout;
    assert.match(status, new RegExp(`^Uid:\\s+${ALICE.uid}\\s`, 'm'), 'the container\'s PID 1 runs as alice on the host');
    const uidMap = env.sb.exec(['cat', `/proc/${pid}/uid_map`]).stdout;
    assert.match(uidMap, new RegExp(`^\\s*0\\s+${ALICE.uid}\\s+1$`, 'm'));
    assert.match(uidMap, new RegExp(`^\\s*1\\s+${subStart(ALICE)}\\s+65536$`, 'm'));
    alicePort = port;
    // The everyday commands, on her container, as her (exec, top and stats take a non-root caller's own containers).
    assert.equal(okAs(ALICE, ['exec', 'web', '/bin/busybox', 'cat', '/www/index.html']), 'hello from alice\n');
    assert.match(okAs(ALICE, ['exec', 'web', '/bin/busybox', 'cat', '/proc/self/uid_map']), new RegExp(`^\\s*0\\s+${ALICE.uid}\\s+1$`, 'm'));
    const logs = asUser(ALICE, ['logs', '--user', 'web']);
    assert.equal(logs.status, 0, logs.stderr);
    assert.match(okAs(ALICE, ['inspect', '--user', 'web']), /"Running": true/);
  });

  it('kill -9 of the container restarts it per its policy (RestartPolicy=always), and it serves again', async function () {
    const before = Number(/MainPID=(\d+)/.exec(userUnitState(ALICE, 'web.service'))?.[1]);
    assert.ok(before > 0);
    env.sb.execOk(['kill', '-9', String(before)]);
    await until(() => {
      const st = userUnitState(ALICE, 'web.service');
      const pid = Number(/MainPID=(\d+)/.exec(st)?.[1]);
      return /ActiveState=active/.test(st) && pid > 0 && pid !== before;
    }, 30_000, 'the container to be restarted', () => userJournal(ALICE, 'web.service'));
    assert.equal(await answers(alicePort, 10_000), 'hello from alice\n');
    const ps = JSON.parse(okAs(ALICE, ['ps', '--user', '--format', 'json'])) as Array<{ name: string; restartCount: number }>;
    okAs(ALICE, ['stop', '--user', 'web']);
    assert.match(userUnitState(ALICE, 'web.service'), /ActiveState=inactive/, 'a stop by hand stays stopped');
    okAs(ALICE, ['start', '--user', 'web']);
    assert.equal(await answers(alicePort, 10_000), 'hello from alice\n');
    assert.deepEqual(ps.map((c) => [c.name, c.restartCount]), [['web', 1]], 'ps --user lists her one container, restarted once (the restart manager\'s record in the user manager\'s state directory)');
  });

  it('two users: each has their own containers, store and processes, and cannot reach the other\'s files', async function () {
    const port = await freePort();
    okAs(BOB, ['pull', '--user', '-q', env.h.image]);
    writeAs(BOB, 'www/index.html', 'hello from bob\n');
    const def = (extra: string): string =>
      `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:8080\nVolume=/home/${BOB.name}/www:/www:ro\n${extra}Exec=/bin/sh -c 'ls /proc | grep -c "^[0-9]" > /www-count 2>/dev/null; exec /bin/busybox httpd -f -p 8080 -h /www'\n`;
    writeAs(BOB, 'web.container', def(''));
    okAs(BOB, ['up', '--user', `/home/${BOB.name}/web.container`]);
    assert.equal(await answers(port, 10_000), 'hello from bob\n');
    assert.equal(await answers(alicePort, 10_000), 'hello from alice\n', 'alice\'s is still hers');
    // Each user's ps lists their own container only; their stores are apart.
    const names = (u: User): string[] => (JSON.parse(okAs(u, ['ps', '--user', '--format', 'json'])) as Array<{ name: string }>).map((c) => c.name);
    assert.deepEqual(names(ALICE), ['web']);
    assert.deepEqual(names(BOB), ['web']);
    const alicePid = Number(/MainPID=(\d+)/.exec(userUnitState(ALICE, 'web.service'))?.[1]);
    const bobPid = Number(/MainPID=(\d+)/.exec(userUnitState(BOB, 'web.service'))?.[1]);
    assert.notEqual(env.sb.exec(['readlink', `/proc/${alicePid}/ns/user`]).stdout, env.sb.exec(['readlink', `/proc/${bobPid}/ns/user`]).stdout, 'separate user namespaces');
    assert.notEqual(env.sb.exec(['readlink', `/proc/${alicePid}/ns/pid`]).stdout, env.sb.exec(['readlink', `/proc/${bobPid}/ns/pid`]).stdout, 'separate PID namespaces');
    // Bob's processes may not look into alice's container, nor read her store.
    const peek = env.sb.exec(['setpriv', `--reuid=${BOB.uid}`, `--regid=${BOB.uid}`, '--init-groups', 'ls', `/proc/${alicePid}/root/`]);
    assert.notEqual(peek.status, 0, 'bob cannot enter alice\'s container root');
    const store = env.sb.exec(['setpriv', `--reuid=${BOB.uid}`, `--regid=${BOB.uid}`, '--init-groups', 'ls', `/home/${ALICE.name}/.local/share/podgen`]);
    assert.notEqual(store.status, 0, 'bob cannot read alice\'s store');
    // Nor may his definition hand her files to his container.
    writeAs(BOB, 'web.container', def(`Volume=/home/${ALICE.name}/www:/stolen:ro\n`));
    const up = asUser(BOB, ['up', '--user', `/home/${BOB.name}/web.container`]);
    assert.notEqual(up.status, 0, 'bob\'s container with alice\'s files does not start');
    assert.match(userJournal(BOB, 'web.service'), new RegExp(`volume source /home/${ALICE.name}/www is out of your reach \\(permission denied`));
    asUser(BOB, ['down', '--user', 'web']);
  });

  it('a rootless and a root container run side by side on the same host', async function () {
    const port = await freePort();
    fs.writeFileSync(path.join(env.h.defs, 'rootweb.container'), `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:8080\nExec=/bin/sh -c 'mkdir -p /w; echo hello from root > /w/index.html; exec /bin/busybox httpd -f -p 8080 -h /w'\n`);
    const r = env.h.run(['up', 'rootweb']);
    assert.equal(r.status, 0, r.stderr);
    try {
      assert.equal(await answers(port, 10_000), 'hello from root\n');
      assert.equal(await answers(alicePort, 10_000), 'hello from alice\n');
    } finally {
      env.h.run(['down', 'rootweb']);
    }
  });

  it('without root, podgen run -d makes a container of the user\'s manager and podgen run runs one in the foreground; exec -u takes the image\'s user names', async function () {
    const port = await freePort();
    const run = asUser(BOB, ['run', '-d', '--name', 'bobrun', '--restart=always', '-p', `127.0.0.1:${port}:8080`, '-v', `/home/${BOB.name}/www:/www:ro`, env.h.image, '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    assert.equal(run.status, 0, `${run.stderr}${run.stdout}\n${userJournal(BOB, 'bobrun.service')}`);
    assert.match(run.stdout, /^[0-9a-f]{64}\n$/, 'run -d prints the container\'s ID');
    assert.equal(await answers(port, 10_000), 'hello from bob\n');
    assert.match(userUnitState(BOB, 'bobrun.service'), /ActiveState=active/, 'a unit of his user manager');
    assert.ok(fs.existsSync(home(BOB, '.local/share/podgen/run/bobrun.container')), 'the definition is his');
    const ps = JSON.parse(okAs(BOB, ['ps', '--user', '--format', 'json'])) as Array<{ name: string; origin: string }>;
    assert.deepEqual(ps.map((c) => [c.name, c.origin]), [['bobrun', 'run']]);
    // exec -u NAME: the name from the container's own /etc/passwd (www is 33 there), read through its init's root.
    assert.equal(okAs(BOB, ['exec', '-u', 'www', 'bobrun', '/bin/busybox', 'id', '-u']), '33\n');
    const nouser = asUser(BOB, ['exec', '-u', 'nosuch', 'bobrun', '/bin/true']);
    assert.notEqual(nouser.status, 0);
    assert.match(nouser.stderr, /user "nosuch" does not exist in the image/);
    okAs(BOB, ['rm', '--user', '-f', 'bobrun']);
    assert.equal(fs.existsSync(home(BOB, '.local/share/podgen/run/bobrun.container')), false, 'rm takes the definition');
    assert.match(userUnitState(BOB, 'bobrun.service'), /ActiveState=inactive/);

    // In the foreground: the container's status is podgen's, root inside is bob outside.
    const fg = asUser(BOB, ['run', '--rm', env.h.image, '/bin/sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3']);
    assert.equal(fg.status, 3, fg.stderr);
    assert.match(fg.stdout, new RegExp(`^0\\n\\s*0\\s+${BOB.uid}\\s+1\\n`));
    const limited = asUser(BOB, ['run', '--rm', '--memory', '64m', env.h.image, '/bin/true']);
    assert.notEqual(limited.status, 0);
    assert.match(limited.stderr, /--memory: a rootless podgen run in the foreground has no cgroup of its own to limit/);
    assert.match(limited.stderr, /systemd-run --user --scope -p MemoryMax=/);
    assert.equal(asUser(BOB, ['ps', '--user', '-a', '-q']).stdout, '', 'nothing left behind');
  });

  it('where overlayfs cannot be mounted in a user namespace, the layers are copied (forced here with PODGEN_ROOTLESS_ROOTFS=copy), and restarts copy again', async function () {
    const port = await freePort();
    const userctl = (args: readonly string[]) => env.sb.execOk(['systemctl', `--machine=${BOB.name}@.host`, '--user', ...args]);
    userctl(['set-environment', 'PODGEN_ROOTLESS_ROOTFS=copy']);
    try {
      const info = asUser(BOB, ['info'], ['PODGEN_ROOTLESS_ROOTFS=copy']);
      assert.match(info.stdout, /rootfs: +a copy of the image's layers for each start, no overlay \(PODGEN_ROOTLESS_ROOTFS=copy\)/);
      assert.match(okAs(BOB, ['info']), /rootfs: +overlayfs in the user namespace, mounted by the runtime \(Linux \S+ mounts overlayfs in a user namespace \(5\.11\+\)\)/);
      writeAs(BOB, 'copied.container', `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:8080\nExec=/bin/sh -c 'mkdir -p /w; echo copied > /w/index.html; exec /bin/busybox httpd -f -p 8080 -h /w'\nRestartPolicy=always\n`);
      const up = asUser(BOB, ['up', '--user', `/home/${BOB.name}/copied.container`]);
      assert.equal(up.status, 0, `${up.stderr}\n${userJournal(BOB, 'copied.service')}`);
      assert.equal(await answers(port, 10_000).catch((e: Error) => `${e.message}\n${userJournal(BOB, 'copied.service')}`), 'copied\n');
      const rootLine = (): string => okAs(BOB, ['exec', 'copied', '/bin/busybox', 'grep', ' / ', '/proc/self/mounts']);
      assert.doesNotMatch(rootLine(), /^overlay \/ /m, 'no overlay at /: a plain directory');
      const before = Number(/MainPID=(\d+)/.exec(userUnitState(BOB, 'copied.service'))?.[1]);
      okAs(BOB, ['exec', 'copied', '/bin/sh', '-c', 'echo scribble > /scribble']);
      env.sb.execOk(['kill', '-9', String(before)]);
      await until(() => {
        const pid = Number(/MainPID=(\d+)/.exec(userUnitState(BOB, 'copied.service'))?.[1]);
        return pid > 0 && pid !== before;
      }, 30_000, 'the copied container to be restarted', () => userJournal(BOB, 'copied.service'));
      assert.equal(await answers(port, 10_000), 'copied\n');
      assert.notEqual(asUser(BOB, ['exec', 'copied', '/bin/busybox', 'cat', '/scribble']).status, 0, 'a fresh copy each start, as a fresh writable layer');
    } finally {
      asUser(BOB, ['down', '--user', 'copied']);
      userctl(['unset-environment', 'PODGEN_ROOTLESS_ROOTFS']);
    }
  });

  it('named networks without root: two of her containers answer each other by name over her network\'s bridge, one publishes a port, and down leaves no address, veth or bridge', async function () {
    const port = await freePort();
    const defs = '.config/containers/systemd';
    writeAs(ALICE, `${defs}/app.network`, '[Network]\nSubnet=10.77.3.0/24\n');
    const httpd = (text: string): string => `Exec=/bin/sh -c 'mkdir -p /w; echo ${text} > /w/index.html; exec /bin/busybox httpd -f -p 8080 -h /w'\n`;
    writeAs(ALICE, `${defs}/netdb.container`, `[Container]\nImage=${env.h.image}\nNetwork=app.network\nNetworkAlias=database\n${httpd('db here')}`);
    writeAs(ALICE, `${defs}/netfront.container`, `[Container]\nImage=${env.h.image}\nNetwork=app.network\nIP=10.77.3.40\nPublishPort=127.0.0.1:${port}:8080\n${httpd('front here')}`);
    const wget = (from: string, url: string) => asUser(ALICE, ['exec', from, '/bin/busybox', 'timeout', '4', '/bin/busybox', 'wget', '-q', '-O', '-', url]);
    const up = asUser(ALICE, ['up', '--user', 'netdb', 'netfront']);
    try {
      assert.equal(up.status, 0, `${up.stderr}${up.stdout}\n${userJournal(ALICE, 'netfront.service')}\n${userJournal(ALICE, 'podgen-netns.service')}`);
      assert.equal(await answers(port, 10_000), 'front here\n', 'a published port of a container on a named network');
      const byName = wget('netfront', 'http://netdb:8080/');
      const why = (): string => {
        const holder = env.sb.exec(['systemctl', `--machine=${ALICE.name}@.host`, '--user', 'show', '-p', 'MainPID', '--value', 'podgen-netns.service']).stdout.trim();
        return [
          asUser(ALICE, ['exec', 'netfront', '/bin/busybox', 'cat', '/etc/hosts']).stdout,
          asUser(ALICE, ['exec', 'netfront', '/bin/busybox', 'ip', 'addr']).stdout,
          asUser(ALICE, ['exec', 'netdb', '/bin/busybox', 'ip', 'addr']).stdout,
          env.sb.exec(['nsenter', '-t', holder, '-n', 'ip', '-d', 'link']).stdout,
          env.sb.exec(['nsenter', '-t', holder, '-n', 'bridge', 'link']).stdout,
        ].join('\n---\n');
      };
      assert.equal(byName.stdout, 'db here\n', `by name over the bridge (${byName.status}): ${byName.stderr}\n${why()}`);
      assert.equal(wget('netfront', 'http://database:8080/').stdout, 'db here\n', 'NetworkAlias= resolves');
      assert.equal(wget('netdb', 'http://netfront:8080/').stdout, 'front here\n', 'and the other way round');
      assert.equal(wget('netdb', 'http://10.77.3.40:8080/').stdout, 'front here\n', 'IP= gave netfront its address');
      assert.match(okAs(ALICE, ['exec', 'netdb', '/bin/busybox', 'ip', '-4', 'addr', 'show', 'eth1']), /inet 10\.77\.3\.\d+\/24/);
      // Both in her network user namespace (one namespace owns their network namespaces); her pasta-only container has its own.
      const pidOf = (unit: string): number => Number(/MainPID=(\d+)/.exec(userUnitState(ALICE, unit))?.[1]);
      const userns = (pid: number): string => env.sb.exec(['readlink', `/proc/${pid}/ns/user`]).stdout.trim();
      assert.equal(userns(pidOf('netdb.service')), userns(pidOf('netfront.service')));
      assert.notEqual(userns(pidOf('netdb.service')), userns(pidOf('web.service')));
      const rows = JSON.parse(okAs(ALICE, ['network', 'ls', '--json'])) as Array<{ name: string; containers: string[] }>;
      assert.deepEqual(rows.map((r) => [r.name, [...r.containers].sort()]), [['systemd-app', ['netdb', 'netfront']]]);
      // Bob has no such network: his namespace is his own.
      assert.deepEqual(JSON.parse(okAs(BOB, ['network', 'ls', '--json'])), []);
      // A user namespace of its own cannot go with a named network: said at generate.
      writeAs(ALICE, `${defs}/netbad.container`, `[Container]\nImage=${env.h.image}\nNetwork=app.network\nUserNS=keep-id\n`);
      const bad = asUser(ALICE, ['generate', '--user', 'netbad']);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /netbad\.container:4: Network=app\.network with UserNS=, UIDMap=.*share one user namespace/);
    } finally {
      const down = asUser(ALICE, ['down', '--user', 'netdb', 'netfront', 'app.network']);
      assert.equal(down.status, 0, `${down.stderr}${down.stdout}`);
    }
    assert.deepEqual(JSON.parse(okAs(ALICE, ['network', 'ls', '--json'])), [], 'down removed the network');
    assert.deepEqual(env.sb.exec(['ls', `/run/user/${ALICE.uid}/podgen/cni/networks`]).stdout.trim(), '', 'no address held');
    const holder = Number(env.sb.execOk(['systemctl', `--machine=${ALICE.name}@.host`, '--user', 'show', '-p', 'MainPID', '--value', 'podgen-netns.service']).trim());
    assert.ok(holder > 0, 'her network namespace stays for the next network');
    const links = env.sb.execOk(['nsenter', '-t', String(holder), '-n', 'ip', '-o', 'link']);
    assert.doesNotMatch(links, /pgv|pg-/, `no veth or bridge left: ${links}`);
  });

  it('what a rootless container needs and lacks is a precise error with the fix', function () {
    const prep = (u: User, flags: readonly string[]) => asUser(u, ['prepare', '--user', '--name', 'probe', '--', ...flags, env.h.image, '/bin/true']);
    const low = prep(ALICE, ['-p', '127.0.0.1:80:8080']);
    assert.notEqual(low.status, 0);
    assert.match(low.stderr, /port 80 is below 1024: an unprivileged user may not bind it/);
    assert.match(low.stderr, /sysctl -w net\.ipv4\.ip_unprivileged_port_start=80/);
    const hide = (file: string, body: () => void): void => {
      env.sb.execOk(['mv', file, `${file}.hidden`]);
      try {
        body();
      } finally {
        env.sb.execOk(['mv', `${file}.hidden`, file]);
      }
    };
    hide('/usr/bin/pasta', () => {
      const r = prep(ALICE, []);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /\/usr\/bin\/pasta is not installed: rootless containers reach the network through pasta/);
      assert.match(r.stderr, /apt-get install passt/);
      assert.equal(prep(ALICE, ['--network', 'none']).status, 0, 'Network=none needs no pasta');
      asUser(ALICE, ['cleanup', '--user', '--name', 'probe']);
    });
    hide('/usr/bin/newuidmap', () => {
      const r = prep(ALICE, ['--network', 'none']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /\/usr\/bin\/newuidmap is not installed/);
      assert.match(r.stderr, /apt-get install uidmap/);
    });
    env.sb.execOk(['chmod', '0600', '/dev/net/tun']);
    try {
      const r = prep(ALICE, []);
      assert.match(r.stderr, /\/dev\/net\/tun cannot be opened by you/);
      assert.match(r.stderr, /chmod 0666 \/dev\/net\/tun/);
    } finally {
      env.sb.execOk(['chmod', '0666', '/dev/net/tun']);
    }
    const saved = env.sb.exec(['cat', '/etc/subuid']).stdout;
    env.sb.execOk(['sed', '-i', `/^${ALICE.name}:/d`, '/etc/subuid']);
    try {
      const r = prep(ALICE, ['--network', 'none']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`${ALICE.name} \\(uid ${ALICE.uid}\\) has no subordinate user ids in /etc/subuid`));
      assert.match(r.stderr, new RegExp(`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${ALICE.name}`));
    } finally {
      fs.writeFileSync(path.join(env.sb.root, 'etc/subuid'), saved);
    }
    const asRoot = env.h.inside(['prepare', '--name', 'probe', '--', '--userns', 'keep-id', env.h.image, '/bin/true']);
    assert.notEqual(asRoot.status, 0);
    assert.match(asRoot.stderr, /user namespace options .* are for rootless containers/);
  });

  it('after a reboot with lingering on, the container serves again without anyone logging in', async function () {
    env.sb.reboot();
    assert.equal(await answers(alicePort, 60_000).catch((e: Error) => `${e.message}\n${userJournal(ALICE, 'web.service')}`), 'hello from alice\n');
    assert.match(env.sb.exec(['loginctl', 'list-sessions', '--no-legend']).stdout.trim(), /^$/, 'no session: nobody logged in');
  });
});
