// The specifier tables in src/values/specifier.ts against the real systemd on
// this machine: every letter and digit after a % goes through
// `systemd-analyze verify` (unit settings, unit-name settings) and
// `systemctl --root enable` ([Install]); neither needs a running systemd. If a systemd update changes the
// tables, this fails and says which letters moved.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UNIT_NAME_SPECIFIERS, UNIT_SPECIFIERS, unknownSpecifier } from '../../src/values/specifier';

const CANDIDATES = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('systemd specifiers (the real systemd 252 on this machine)', function () {
  let dir: string;
  before(function () {
    if (!have('systemd-analyze') || !have('systemctl')) {
      console.log('      (skipped: systemd-analyze/systemctl are not installed; test/prepare-host.sh installs systemd)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-spec-'));
  });
  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('expands exactly the letters UNIT_SPECIFIERS lists, in unit settings', function () {
    // One unit, one Environment= line per letter: verify names each line it drops.
    const lines = CANDIDATES.map((c) => `Environment=V_${c.charCodeAt(0)}=x%${c}y`);
    const file = path.join(dir, 'spec.service');
    fs.writeFileSync(file, `[Service]\nExecStart=/bin/true\n${lines.join('\n')}\n`);
    const out = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'info' } });
    const text = `${out.stdout}${out.stderr}`;
    const refused = CANDIDATES.filter((c) => text.includes(`V_${c.charCodeAt(0)}=x%${c}y`));
    assert.ok(refused.length > 0, `systemd-analyze refused nothing, which cannot be right:\n${text}`);
    const accepted = CANDIDATES.filter((c) => !refused.includes(c)).join('');
    assert.equal(accepted, UNIT_SPECIFIERS);
  });

  it('expands exactly the letters UNIT_NAME_SPECIFIERS lists, in unit-name settings (After=)', function () {
    const lines = CANDIDATES.map((c) => `After=x%${c}y.service`);
    const file = path.join(dir, 'names.service');
    fs.writeFileSync(file, `[Unit]\n${lines.join('\n')}\n[Service]\nExecStart=/bin/true\n`);
    const out = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'info' } });
    const text = `${out.stdout}${out.stderr}`;
    const refused = CANDIDATES.filter((c) => text.includes(`'x%${c}y.service'`));
    assert.ok(refused.length > 0, `systemd-analyze refused nothing, which cannot be right:\n${text}`);
    assert.equal(CANDIDATES.filter((c) => !refused.includes(c)).join(''), UNIT_NAME_SPECIFIERS);
  });

  it('expands exactly the letters UNIT_NAME_SPECIFIERS lists, in [Install]', function () {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    // %m, %o, %w and friends read the root's machine-id and os-release.
    fs.writeFileSync(path.join(root, 'etc/machine-id'), '0123456789abcdef0123456789abcdef\n');
    fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nNAME=Debian\n');
    const accepted = CANDIDATES.filter((c) => {
      fs.rmSync(path.join(root, 'etc/systemd/system'), { recursive: true, force: true });
      fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
      fs.writeFileSync(path.join(root, 'etc/systemd/system/t.service'), `[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=x%${c}.target\n`);
      return spawnSync('systemctl', [`--root=${root}`, 'enable', 't.service'], { encoding: 'utf8' }).status === 0;
    }).join('');
    assert.equal(accepted, UNIT_NAME_SPECIFIERS);
  });
});

describe('unknownSpecifier', function () {
  it('finds the first unknown %letter and escapes every one of them', function () {
    assert.deepEqual(unknownSpecifier('date +%F %i %%F 100% %!', UNIT_SPECIFIERS), { specifier: '%F', fixed: 'date +%%F %i %%F 100% %!' });
    assert.deepEqual(unknownSpecifier('%k%0', UNIT_SPECIFIERS), { specifier: '%k', fixed: '%%k%%0' });
    assert.equal(unknownSpecifier('%h/%n %% 50%', UNIT_SPECIFIERS), undefined);
    assert.deepEqual(unknownSpecifier('a%t.target', UNIT_NAME_SPECIFIERS)?.specifier, '%t');
  });
});
