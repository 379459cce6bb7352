// podgen install / uninstall against a real systemd over its real D-Bus (the
// nspawn sandbox): units written, one reload, enabled by systemd itself;
// idempotent; foreign units left alone.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen } from '../support/cli';
import { useSandbox } from '../support/sandbox';

describe('podgen install / uninstall (systemd over D-Bus, nspawn sandbox)', function () {
  this.timeout(120_000);
  const env = useSandbox('podgen-install-');
  let defs: string;
  const run = (args: string[]) =>
    podgen(args, { cwd: defs, env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${env.sb.busSocket}`, PODGEN_UNIT_DIR: env.sb.unitDir, QUADLET_UNIT_DIRS: defs } });
  const reloads = (cursor: string): number => env.sb.journalSince(cursor).split('\n').filter((l) => l === 'Reloading.').length;
  const enabled = (unit: string): string => env.sb.exec(['systemctl', 'is-enabled', unit]).stdout.trim();

  before(function () {
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
    fs.writeFileSync(path.join(defs, 'webapp.container'), '[Container]\nImage=docker.io/library/busybox:1.36\nExec=httpd -f\nRestartPolicy=always\n\n[Install]\nWantedBy=multi-user.target\n');
  });
  after(function () {
    for (const f of ['webapp.service', 'foreign.service']) fs.rmSync(path.join(env.sb.unitDir, f), { force: true });
  });

  it('installs: writes the unit, reloads once, and systemd enables it', function () {
    const cursor = env.sb.journalCursor();
    const r = run(['install', 'webapp']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^webapp\.service: installed /m);
    assert.match(r.stdout, /^symlink \/etc\/systemd\/system\/multi-user\.target\.wants\/webapp\.service -> \/etc\/systemd\/system\/webapp\.service$/m);
    assert.equal(reloads(cursor), 1);
    assert.equal(enabled('webapp.service'), 'enabled');
    assert.match(env.sb.execOk(['systemctl', 'show', '-p', 'LoadState', '--value', 'webapp.service']), /^loaded$/m);
  });

  it('a second install with nothing changed writes nothing and does not reload', function () {
    const before = fs.statSync(path.join(env.sb.unitDir, 'webapp.service')).mtimeMs;
    const cursor = env.sb.journalCursor();
    const r = run(['install', 'webapp']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^webapp\.service: unchanged /m);
    assert.match(r.stdout, /nothing changed; systemd not reloaded/);
    assert.equal(reloads(cursor), 0);
    assert.equal(fs.statSync(path.join(env.sb.unitDir, 'webapp.service')).mtimeMs, before);
  });

  it('a changed definition is rewritten with exactly one reload', function () {
    fs.appendFileSync(path.join(defs, 'webapp.container'), '\n[Service]\nTimeoutStartSec=300\n');
    const cursor = env.sb.journalCursor();
    const r = run(['install', 'webapp']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^webapp\.service: updated /m);
    assert.equal(reloads(cursor), 1);
    assert.match(env.sb.execOk(['systemctl', 'show', '-p', 'TimeoutStartUSec', '--value', 'webapp.service']), /^5min$/m);
  });

  it('refuses to replace a unit podgen did not write, unless --force', function () {
    fs.writeFileSync(path.join(env.sb.unitDir, 'foreign.service'), '[Service]\nExecStart=/bin/true\n');
    fs.writeFileSync(path.join(defs, 'foreign.container'), '[Container]\nImage=docker.io/library/busybox:1.36\n');
    const r = run(['install', 'foreign']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /foreign\.service exists and was not written by podgen/);
    assert.equal(fs.readFileSync(path.join(env.sb.unitDir, 'foreign.service'), 'utf8'), '[Service]\nExecStart=/bin/true\n');
    const u = run(['uninstall', 'foreign']);
    assert.equal(u.status, 1);
    assert.ok(fs.existsSync(path.join(env.sb.unitDir, 'foreign.service')));
  });

  it('uninstall disables, removes and reloads; a second uninstall says so', function () {
    const cursor = env.sb.journalCursor();
    const r = run(['uninstall', 'webapp']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /webapp\.service: disabled and removed/);
    assert.ok(!fs.existsSync(path.join(env.sb.unitDir, 'webapp.service')));
    assert.ok(!fs.existsSync(path.join(env.sb.unitDir, 'multi-user.target.wants', 'webapp.service')));
    assert.equal(reloads(cursor), 1);
    const again = run(['uninstall', 'webapp']);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /webapp\.service: not installed/);
  });
});

describe('podgen install without a reachable systemd', function () {
  it('says so, points at generate --output, exits 69, writes nothing', function () {
    const dir = fs.mkdtempSync('/var/tmp/podgen-nobus-');
    try {
      const r = podgen(['install', 'nginx'], { env: { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus', PODGEN_UNIT_DIR: dir } });
      assert.equal(r.status, 69, r.stderr);
      assert.match(r.stderr, /systemd is not reachable over D-Bus/);
      assert.match(r.stderr, /hint: is systemd running as PID 1 here\? In a container or chroot, write units with podgen generate --output DIR instead/);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
