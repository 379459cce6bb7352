// podgen info: what it says matches the machine (the helpers it finds are
// there, what it says is missing is missing, with a Debian package to fix
// it); rootless when run as another user; the pure verdicts on their own.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { HELPERS, type Info } from '../../src/commands/info';
import { kernelMountsOverlayInUserns, subIdRanges } from '../../src/runtime/rootless';
import { PODGEN_BIN, podgen } from '../support/cli';

describe('podgen info', function () {
  this.timeout(60_000);

  it('as root: mode, runtimes with their versions, and every helper reported as the file system has it', function () {
    const r = podgen(['info', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Info;
    assert.equal(info.mode, process.getuid?.() === 0 ? 'root' : 'rootless');
    for (const [name, h] of Object.entries(HELPERS)) assert.equal(info.helpers[name as keyof typeof HELPERS], fs.existsSync(h.path), name);
    const runc = info.runtimes.find((x) => x.name === 'runc');
    assert.equal(runc?.version !== undefined, fs.existsSync('/usr/bin/runc'));
    if (runc?.version) assert.match(runc.version, /^runc version \d/);
    for (const m of info.missing) assert.match(m.fix, /apt-get install |usermod |podgen linger |boot with |delegate it|enable it/, m.what);
    assert.equal(info.missing.some((m) => m.what.startsWith('/usr/bin/runc')), !fs.existsSync('/usr/bin/runc'));
    assert.match(podgen(['info']).stdout, /^mode: +(root|rootless) /m);
  });

  it('as an ordinary user: rootless, and the subordinate ids, uidmap, pasta and /dev/net/tun access it lacks are named with their fix', function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: becoming another user needs root, and this run is not root');
      this.skip();
    }
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, PODGEN_BIN, 'info', '--json'], { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Info;
    assert.equal(info.mode, 'rootless');
    assert.equal(info.user.uid, 65534);
    const subuid = subIdRanges(fs.existsSync('/etc/subuid') ? fs.readFileSync('/etc/subuid', 'utf8') : undefined, info.user.name, 65534);
    assert.equal(info.missing.some((m) => /subordinate user ids/.test(m.what) && /usermod --add-subuids/.test(m.fix)), subuid.length === 0);
    assert.equal(info.missing.some((m) => m.what.startsWith('/usr/bin/newuidmap') && m.fix === 'apt-get install uidmap'), !fs.existsSync('/usr/bin/newuidmap'));
    assert.equal(info.missing.some((m) => m.what.startsWith('/usr/bin/pasta') && m.fix === 'apt-get install passt'), !fs.existsSync('/usr/bin/pasta'));
    let tun = true;
    try {
      fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      tun = false;
    }
    // (As root this run may open it whatever its mode; nobody may only if it is 0666.)
    const tunForNobody = tun && (fs.statSync('/dev/net/tun').mode & 0o006) === 0o006;
    assert.equal(info.missing.some((m) => /\/dev\/net\/tun/.test(m.what) && /chmod 0666/.test(m.fix)), !tunForNobody);
    assert.equal(info.network.helper, fs.existsSync('/usr/bin/pasta') ? 'pasta' : undefined);
    assert.equal(info.store.root, '/tmp/.local/share/podgen');
  });

  it('the verdicts: subordinate id lines by name or uid, overlayfs in a user namespace from Linux 5.11', function () {
    assert.deepEqual(subIdRanges('alice:100000:65536\nbob:165536:65536\n1000:231072:10\nbad line\nalice:x:5\n', 'alice', 1000), [{ start: 100000, count: 65536 }, { start: 231072, count: 10 }]);
    assert.deepEqual(subIdRanges(undefined, 'alice', 1000), []);
    assert.equal(kernelMountsOverlayInUserns('5.10.0-28-amd64'), false);
    assert.equal(kernelMountsOverlayInUserns('5.11.0'), true);
    assert.equal(kernelMountsOverlayInUserns('6.1.0-18-amd64'), true);
  });
});
