// Layers unpacked once each for overlayfs, checked against hostile input,
// and combined per container by an overlay mount (root only).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { mountRootfs, unmountRootfs } from '../../src/image/unpack';
import { PODGEN_BIN, podgen } from '../support/cli';
import { busyboxImage, type BuiltImage, diffIdOf, imageOf, pushImage } from '../support/images';
import { blobOf, TestRegistry } from '../support/registry';

interface TarEntry {
  readonly name: string;
  readonly type: '0' | '1' | '2' | '5';
  readonly data?: string;
  readonly link?: string;
}

/** A hand-made ustar archive: the only way to get the hostile entries GNU tar refuses to create. */
function ustar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(e.data ?? '');
    h.write(e.name, 0, 100, 'utf8');
    h.write(e.type === '5' ? '0000755\0' : '0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type, 156);
    h.write(e.link ?? '', 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function singleLayerImage(tar: Buffer, layerBytes?: Buffer): BuiltImage {
  return imageOf([blobOf(layerBytes ?? zlib.gzipSync(tar), 'application/vnd.oci.image.layer.v1.tar+gzip')], [diffIdOf(tar)]);
}

const xattr = (file: string, name: string): string => spawnSync('getfattr', ['-n', name, '--only-values', file], { encoding: 'utf8' }).stdout;

/** One layer with what only root can keep: an owner, a device node; and a hard link, a user xattr, an opaque directory. */
function metadataLayerTar(): Buffer {
  const staging = fs.mkdtempSync('/var/tmp/podgen-layer-');
  try {
    fs.mkdirSync(path.join(staging, 'data'));
    fs.writeFileSync(path.join(staging, 'data', 'secret'), 'x');
    fs.chownSync(path.join(staging, 'data', 'secret'), 1234, 5678);
    fs.chmodSync(path.join(staging, 'data', 'secret'), 0o640);
    fs.linkSync(path.join(staging, 'data', 'secret'), path.join(staging, 'data', 'hardlink'));
    assert.equal(spawnSync('mknod', [path.join(staging, 'data', 'null'), 'c', '1', '3']).status, 0);
    assert.equal(spawnSync('setfattr', ['-n', 'user.podgen', '-v', 'kept', path.join(staging, 'data', 'secret')]).status, 0);
    fs.mkdirSync(path.join(staging, 'opaque'));
    fs.writeFileSync(path.join(staging, 'opaque', '.wh..wh..opq'), '');
    return spawnSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', staging, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 }).stdout;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

describe('layers for overlayfs (root, real registry)', function () {
  this.timeout(120_000);
  let reg: TestRegistry;
  let store: string;
  const busybox = busyboxImage();

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: unpacking layers (device nodes, ownership, trusted.* xattrs) and overlay mounts need root');
      this.skip();
    }
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/busybox', 'v1', busybox);
  });
  after(function () {
    reg?.stop();
  });
  beforeEach(function () {
    store = fs.mkdtempSync('/var/tmp/podgen-store-');
  });
  afterEach(function () {
    fs.rmSync(store, { recursive: true, force: true });
  });

  function pullJson(ref: string): { layerDirs: string[] } {
    const r = podgen(['pull', '--json', ref], { env: { PODGEN_STORE: store } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { layerDirs: string[] };
  }

  it('unpacks each layer once, turning whiteouts into overlayfs ones', function () {
    const { layerDirs } = pullJson(`${reg.address}/test/busybox:v1`);
    assert.equal(layerDirs.length, 2);
    const [base, top] = layerDirs as [string, string];
    assert.ok(fs.statSync(path.join(base, 'bin', 'busybox')).mode & 0o111, 'busybox lost its exec bit');
    assert.equal(fs.readlinkSync(path.join(base, 'bin', 'sh')), 'busybox');
    const whiteout = fs.lstatSync(path.join(top, 'etc', 'remove-me'));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'no 0:0 whiteout device');
    assert.ok(!fs.existsSync(path.join(top, 'etc', '.wh.remove-me')));
    // A second image sharing the layers unpacks nothing again.
    const mtime = fs.statSync(base).mtimeMs;
    assert.deepEqual(pullJson(`${reg.address}/test/busybox:v1`).layerDirs, layerDirs);
    assert.equal(fs.statSync(base).mtimeMs, mtime);
  });

  it('an overlay of the layers is a working root file system, with the whiteout applied', async function () {
    const { layerDirs } = pullJson(`${reg.address}/test/busybox:v1`);
    const container = path.join(store, 'containers', 'c1');
    const rootfs = await mountRootfs(layerDirs, container);
    try {
      assert.ok(!fs.existsSync(path.join(rootfs, 'etc', 'remove-me')), 'the deleted file shows through');
      assert.match(fs.readFileSync(path.join(rootfs, 'etc', 'motd'), 'utf8'), /podgen test image/);
      const r = spawnSync('chroot', [rootfs, '/bin/sh', '-c', 'echo hello from $(/bin/busybox basename /bin/sh)'], { encoding: 'utf8' });
      assert.equal(r.stdout.trim(), 'hello from sh', r.stderr);
      fs.writeFileSync(path.join(rootfs, 'etc', 'new'), 'x');
      assert.ok(fs.existsSync(path.join(container, 'upper', 'etc', 'new')), 'writes did not go to the upper dir');
      assert.ok(!fs.existsSync(path.join(layerDirs[1] as string, 'etc', 'new')), 'a write reached a shared layer');
    } finally {
      await unmountRootfs(container);
    }
  });

  it('keeps ownership, modes, hard links, device nodes, xattrs and opaque directories', async function () {
    await pushImage(reg, 'test/meta', 'v1', singleLayerImage(metadataLayerTar()));
    const [dir] = pullJson(`${reg.address}/test/meta:v1`).layerDirs as [string];
    const st = fs.statSync(path.join(dir, 'data', 'secret'));
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 5678);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(fs.statSync(path.join(dir, 'data', 'hardlink')).ino, st.ino);
    const dev = fs.lstatSync(path.join(dir, 'data', 'null'));
    assert.ok(dev.isCharacterDevice() && dev.rdev === fs.statSync('/dev/null').rdev);
    assert.equal(xattr(path.join(dir, 'data', 'secret'), 'user.podgen'), 'kept');
    assert.equal(xattr(path.join(dir, 'opaque'), 'trusted.overlay.opaque'), 'y');
  });

  const outside = '/var/tmp/podgen-escape-target';
  const hostile: ReadonlyArray<{ name: string; entries: TarEntry[]; why: RegExp }> = [
    { name: 'a "../../" path', entries: [{ name: '../../../../var/tmp/podgen-escape-target/pwned', type: '0', data: 'x' }], why: /contains "\.\." and could escape/ },
    { name: 'an absolute path', entries: [{ name: '/var/tmp/podgen-escape-target/pwned', type: '0', data: 'x' }], why: /is an absolute path/ },
    {
      name: 'a write through an absolute symlink',
      entries: [
        { name: 'link', type: '2', link: outside },
        { name: 'link/pwned', type: '0', data: 'x' },
      ],
      why: /would be written through the symlink "link"/,
    },
    { name: 'a hard link out of the layer', entries: [{ name: 'h', type: '1', link: '../../etc/passwd' }], why: /contains "\.\."/ },
  ];
  for (const h of hostile) {
    it(`refuses ${h.name}: nothing written outside, no layer kept`, async function () {
      fs.rmSync(outside, { recursive: true, force: true });
      fs.mkdirSync(outside);
      try {
        const repo = `test/hostile${hostile.indexOf(h)}`;
        await pushImage(reg, repo, 'v1', singleLayerImage(ustar(h.entries)));
        const r = podgen(['pull', `${reg.address}/${repo}:v1`], { env: { PODGEN_STORE: store } });
        assert.equal(r.status, 65, r.stderr);
        assert.match(r.stderr, /was refused/);
        assert.match(r.stderr, h.why);
        assert.match(r.stderr, /hint: nothing was extracted/);
        assert.deepEqual(fs.readdirSync(outside), [], 'a file was written outside the layer');
        const layers = path.join(store, 'layers');
        assert.deepEqual(fs.existsSync(layers) ? fs.readdirSync(layers).filter((d) => d !== '.partial') : [], []);
        assert.deepEqual(fs.readdirSync(path.join(layers, '.partial')), []);
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  }

  it('refuses a corrupt gzip layer', async function () {
    const tar = ustar([{ name: 'a', type: '0', data: 'hello' }]);
    const gz = zlib.gzipSync(tar);
    gz[gz.length - 12] ^= 0xff; // breaks the deflate stream, not the blob digest (computed after)
    await pushImage(reg, 'test/corrupt', 'v1', singleLayerImage(tar, gz));
    const r = podgen(['pull', `${reg.address}/test/corrupt:v1`], { env: { PODGEN_STORE: store } });
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stderr, /was refused: (it cannot be decompressed|its content hashes to)/);
  });
});

describe('layers unpacked without root (a --user store, for overlayfs with userxattr)', function () {
  this.timeout(120_000);
  const NOBODY = 65534;
  let reg: TestRegistry;
  let store: string;

  before(async function () {
    // The test runs podgen as an unprivileged user; switching to one needs root.
    if (process.getuid?.() !== 0) {
      console.log('      skipped: running podgen as another (unprivileged) user needs root');
      this.skip();
    }
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/busybox', 'v1', busyboxImage());
    await pushImage(reg, 'test/meta', 'v1', singleLayerImage(metadataLayerTar()));
  });
  after(function () {
    reg?.stop();
  });
  beforeEach(function () {
    store = fs.mkdtempSync('/var/tmp/podgen-userstore-');
    fs.chownSync(store, NOBODY, NOBODY);
  });
  afterEach(function () {
    fs.rmSync(store, { recursive: true, force: true });
  });

  function pullAsNobody(ref: string): { layerDirs: string[] } {
    const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, PODGEN_BIN, 'pull', '--json', ref], {
      env: { ...process.env, HOME: '/nonexistent', PODGEN_STORE: store },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { layerDirs: string[] };
  }

  it('whiteouts become 0:0 devices and opaque directories user.overlay.opaque; files are the user\'s; device nodes are left out', function () {
    const [, top] = pullAsNobody(`${reg.address}/test/busybox:v1`).layerDirs as [string, string];
    const whiteout = fs.lstatSync(path.join(top, 'etc', 'remove-me'));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'no 0:0 whiteout device');
    assert.equal(whiteout.uid, NOBODY);

    const [dir] = pullAsNobody(`${reg.address}/test/meta:v1`).layerDirs as [string];
    const st = fs.statSync(path.join(dir, 'data', 'secret'));
    assert.equal(st.uid, NOBODY);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(fs.statSync(path.join(dir, 'data', 'hardlink')).ino, st.ino);
    assert.ok(!fs.existsSync(path.join(dir, 'data', 'null')), 'a device node was made without root?');
    assert.equal(xattr(path.join(dir, 'data', 'secret'), 'user.podgen'), 'kept');
    assert.equal(xattr(path.join(dir, 'opaque'), 'user.overlay.opaque'), 'y');
    assert.equal(xattr(path.join(dir, 'opaque'), 'trusted.overlay.opaque'), '');
  });
});
