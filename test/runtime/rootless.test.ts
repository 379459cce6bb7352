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

  /** podgen inside the sandbox as USER, as a login would have it (no capabilities, the user's bus). */
  const asUser = (u: User, args: readonly string[], extraEnv: readonly string[] = []) => {
    const r = spawnSync(
      'nsenter',
      [
        '-t', String(env.sb.pid), '-a',
        'setpriv', `--reuid=${u.uid}`, `--regid=${u.uid}`, '--init-groups', '--inh-caps=-all', '--bounding-set=-all',
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
    const containers = `/home/${u.name}/.local/share/podgen/containers`;
    env.sb.execOk(['install', '-d', '-o', u.name, '-g', u.name, '-m', '0700', `/home/${u.name}/.local`, `/home/${u.name}/.local/share`, `/home/${u.name}/.local/share/podgen`, containers]);
    env.sb.execOk(['mount', '-t', 'tmpfs', '-o', `mode=0700,uid=${u.uid},gid=${u.uid}`, 'tmpfs', containers]);
    env.sb.execOk([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'linger', u.name]);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(env.sb.root, `run/user/${u.uid}/bus`)); i++) spawnSync('sleep', ['0.1']);
  }

  before(function () {
    // Debian's udev makes /dev/net/tun 0666; this machine's is 0600, and nspawn copies the mode
    // into the sandbox's own /dev (a node of its own: the host's stays as it is).
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
      `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:8080\nVolume=/home/${ALICE.name}/www:/www:ro\nExec=/bin/busybox httpd -f -p 8080 -h /www\nRestartPolicy=always\n\n[Install]\nWantedBy=default.target\n`,
    );
    const up = asUser(ALICE, ['up', '--user', `/home/${ALICE.name}/web.container`]);
    if (up.status !== 0 && process.env.PODGEN_DEBUG_ROOTLESS) {
      const p = asUser(ALICE, ['prepare', '--user', '--name', 'dbg', '--', '--network', 'none', env.h.image, '/bin/sh', '-c', 'cat /proc/self/uid_map']);
      console.log('PREPARE', p.status, p.stderr);
      console.log(env.sb.exec(['cat', `/run/user/${ALICE.uid}/podgen/containers/dbg/config.json`]).stdout);
      const r = env.sb.exec(['setpriv', `--reuid=${ALICE.uid}`, `--regid=${ALICE.uid}`, '--init-groups', 'env', `XDG_RUNTIME_DIR=/run/user/${ALICE.uid}`, 'runc', '--debug', '--root', `/run/user/${ALICE.uid}/podgen/runc`, 'run', '--bundle', `/run/user/${ALICE.uid}/podgen/containers/dbg`, 'dbg']);
      console.log('RUNC', r.status, r.stdout, r.stderr);
      console.log(env.sb.exec(['sh', '-c', `cat /etc/subuid /etc/subgid; ls -l /usr/bin/newuidmap; cat /proc/1/uid_map; id ${ALICE.name}`]).stdout);
    }
    assert.equal(up.status, 0, `${up.stderr}${up.stdout}\n${userJournal(ALICE, 'web.service')}`);
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
  });
});
