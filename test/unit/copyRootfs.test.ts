// The copied root file system of rootless containers on kernels before 5.11
// (src/image/copyRootfs.ts): layers merged as overlayfs would show them.
// Real files, whiteout devices and user.overlay.opaque xattrs in a scratch dir.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyLayers } from '../../src/image/copyRootfs';
import { REPO_ROOT } from '../support/cli';
import { withTempDir } from '../support/tempDir';

/** Two layers: the lower with files, links and odd modes; the upper with a whiteout, a replacement and an opaque directory. */
function makeLayers(dir: string): [string, string] {
  const lower = path.join(dir, 'lower');
  const upper = path.join(dir, 'upper');
  const put = (p: string, text: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    fs.chmodSync(p, mode);
  };
  put(path.join(lower, 'etc/a'), 'one');
  put(path.join(lower, 'etc/gone'), 'bye');
  put(path.join(lower, 'data/x'), 'x');
  put(path.join(lower, 'data/sub/y'), 'y');
  put(path.join(lower, 'bin/tool'), '#!/bin/sh\n', 0o4755);
  fs.linkSync(path.join(lower, 'bin/tool'), path.join(lower, 'bin/tool2'));
  put(path.join(lower, 'ro/inside'), 'in');
  fs.chmodSync(path.join(lower, 'ro'), 0o555);
  put(path.join(lower, 'secret'), 'shadow', 0o000);
  put(path.join(lower, 'hidden/f'), 'h');
  fs.symlinkSync('etc/a', path.join(lower, 'link'));
  fs.utimesSync(path.join(lower, 'etc/a'), 1000, 2000);
  put(path.join(upper, 'etc/a'), 'two');
  execFileSync('mknod', [path.join(upper, 'etc/gone'), 'c', '0', '0']);
  put(path.join(upper, 'data/z'), 'z');
  execFileSync('setfattr', ['-n', 'user.overlay.opaque', '-v', 'y', path.join(upper, 'data')]);
  return [lower, upper];
}

function assertMerged(root: string): void {
  assert.equal(fs.readFileSync(path.join(root, 'etc/a'), 'utf8'), 'two', 'the upper layer\'s file wins');
  assert.equal(fs.existsSync(path.join(root, 'etc/gone')), false, 'a whiteout hides the lower file');
  assert.deepEqual(fs.readdirSync(path.join(root, 'data')), ['z'], 'an opaque directory hides all below it');
  const [t1, t2] = ['bin/tool', 'bin/tool2'].map((f) => fs.statSync(path.join(root, f)));
  assert.equal(t1?.ino, t2?.ino, 'hard links stay linked');
  assert.equal((t1?.mode ?? 0) & 0o7777, 0o4755, 'modes with setuid kept');
  assert.equal(fs.statSync(path.join(root, 'ro')).mode & 0o777, 0o555, 'a read-only directory keeps its mode, children in');
  assert.equal(fs.readFileSync(path.join(root, 'ro/inside'), 'utf8'), 'in');
  assert.equal(fs.statSync(path.join(root, 'secret')).mode & 0o777, 0);
  assert.equal(fs.readlinkSync(path.join(root, 'link')), 'etc/a');
}

describe('copied rootless root file system (src/image/copyRootfs.ts)', function () {
  let dir = '';
  withTempDir('podgen-copyroot-', (d) => (dir = d));

  it('merges layers bottom first, applying whiteouts and opaque directories, keeping modes and links', async function () {
    const layers = makeLayers(dir);
    const root = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(root, 'stale'), { recursive: true }); // emptied first
    await copyLayers(layers, root);
    assertMerged(root);
    assert.equal(fs.existsSync(path.join(root, 'stale')), false);
    assert.ok(Math.abs(fs.statSync(path.join(root, 'etc/a')).mtimeMs - fs.statSync(path.join(layers[1], 'etc/a')).mtimeMs) < 1, 'times kept');
    assert.equal(fs.readFileSync(path.join(root, 'secret'), 'utf8'), 'shadow');
  });

  it('as an ordinary user, copies its own unreadable files and directories and leaves the layers\' modes as they were', function () {
    const layers = makeLayers(dir);
    fs.chmodSync(path.join(layers[0], 'hidden'), 0o311); // not listable by its owner
    fs.chmodSync(dir, 0o755);
    execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
    fs.chmodSync(path.join(layers[0], 'bin/tool'), 0o4755); // chown clears setuid
    const root = path.join(dir, 'rootfs');
    const script = `require(${JSON.stringify(path.join(REPO_ROOT, 'build/src/image/copyRootfs.js'))}).copyLayers(${JSON.stringify(layers)}, ${JSON.stringify(root)}).catch((e) => { console.error(e); process.exit(1); })`;
    execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    assertMerged(root);
    assert.equal(fs.statSync(path.join(layers[0], 'secret')).mode & 0o777, 0, 'the layer\'s file mode is put back');
    assert.equal(fs.statSync(path.join(layers[0], 'hidden')).mode & 0o777, 0o311);
    assert.equal(fs.statSync(path.join(root, 'hidden')).mode & 0o777, 0o311);
    fs.chmodSync(path.join(root, 'hidden'), 0o755);
    assert.equal(fs.readFileSync(path.join(root, 'hidden/f'), 'utf8'), 'h');
    assert.equal(fs.statSync(path.join(root, 'secret')).uid, fs.statSync(layers[0]).uid, 'the copy is the user\'s');
  });
});
