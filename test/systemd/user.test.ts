// --user: a user's own manager over their session bus, and lingering through
// systemd-logind so their containers start at boot. podgen runs inside the
// sandbox (nsenter): the user exists only there, their bus lives in the
// sandbox's /run and authenticates by uid, and logind answers only peers it
// can see in its PID namespace (from the host it says "Protocol error").

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PODGEN_BIN } from '../support/cli';
import { useSandbox } from '../support/sandbox';

const UID = 1500;
const NAME = 'pgalice';

describe('podgen linger and --user (sandbox systemd-logind and user manager)', function () {
  this.timeout(120_000);
  const env = useSandbox('podgen-user-');
  const lingerFile = (): string => path.join(env.sb.root, 'var/lib/systemd/linger', NAME);
  const inSandbox = (prefix: string[], args: string[]) => {
    const r = spawnSync('nsenter', ['-t', String(env.sb.pid), '-a', ...prefix, process.execPath, PODGEN_BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  /** podgen as root inside the sandbox. */
  const asRoot = (args: string[]) => inSandbox(['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'], args);
  /** podgen as the user (ambient CAP_DAC_READ_SEARCH only so it can read this checkout wherever it lives). */
  const asUser = (args: string[]) =>
    inSandbox(
      [
        'setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search',
        'env', '-i', `HOME=/home/${NAME}`, `XDG_RUNTIME_DIR=/run/user/${UID}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${UID}/bus`, 'PATH=/usr/bin:/bin',
      ],
      args,
    );

  before(function () {
    env.sb.execOk(['useradd', '--create-home', '--uid', String(UID), NAME]);
    const def = `/home/${NAME}/web.container`;
    fs.writeFileSync(path.join(env.sb.root, def), '[Container]\nImage=localhost/podgen-bb:latest\nExec=/bin/busybox sleep 1000\n\n[Install]\nWantedBy=default.target\n');
  });
  after(function () {
    asRoot(['linger', NAME, '--off']);
  });

  it('linger turns lingering on through logind, which starts the user manager; a second run says it already is', function () {
    const r = asRoot(['linger', NAME]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`lingering on for ${NAME} \\(uid ${UID}\\): their user manager, and their enabled --user containers, start at boot`));
    assert.ok(fs.existsSync(lingerFile()), 'logind records lingering');
    let state = '';
    for (let i = 0; i < 100 && state !== 'active'; i++, spawnSync('sleep', ['0.1'])) state = env.sb.exec(['systemctl', 'is-active', `user@${UID}.service`]).stdout.trim();
    assert.equal(state, 'active', 'logind started the user manager');
    const again = asRoot(['linger', String(UID), '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { user: String(UID), uid: UID, linger: true, changed: false });
  });

  it('install --user writes to ~/.config/systemd/user and the user manager enables it; no linger warning', function () {
    for (let i = 0; i < 50 && !fs.existsSync(path.join(env.sb.root, `run/user/${UID}/bus`)); i++) spawnSync('sleep', ['0.1']);
    const r = asUser(['install', '--user', '--engine', 'podman', `/home/${NAME}/web.container`]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /web\.service: installed \(\/home\/pgalice\/\.config\/systemd\/user\/web\.service\)/);
    assert.doesNotMatch(r.stderr, /lingering/);
    const wants = env.sb.exec(['ls', `/home/${NAME}/.config/systemd/user/default.target.wants`]).stdout;
    assert.match(wants, /^web\.service$/m, `the user manager made the [Install] symlink: ${r.stdout}`);
    const ps = asUser(['ps', '--user', '-a', '--json']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.deepEqual((JSON.parse(ps.stdout) as { unit: string }[]).map((x) => x.unit), ['web.service']);
  });

  it('with lingering off, install --user warns that the containers will not start at boot and names the fix', function () {
    const off = asRoot(['linger', NAME, '--off']);
    assert.equal(off.status, 0, off.stderr);
    assert.ok(!fs.existsSync(lingerFile()));
    // A user manager without lingering, as while the user is logged in.
    env.sb.execOk(['systemctl', 'start', `user@${UID}.service`]);
    fs.appendFileSync(path.join(env.sb.root, `home/${NAME}/web.container`), '# changed\n');
    const r = asUser(['install', '--user', '--engine', 'podman', `/home/${NAME}/web.container`]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stderr, /warning: lingering is off for uid 1500: these --user containers start when you log in, not at boot\n  hint: podgen linger/);
    env.sb.exec(['systemctl', 'stop', `user@${UID}.service`]);
  });

  it('linger of an unknown user name: exit 66 and what to do', function () {
    const r = asRoot(['linger', 'no-such-user-pg']);
    assert.equal(r.status, 66, r.stderr);
    assert.match(r.stderr, /no such user: no-such-user-pg/);
    assert.match(r.stderr, /numeric uid/);
  });
});
