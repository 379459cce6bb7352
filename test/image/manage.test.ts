// rmi, image prune, image inspect and load (from real `podman save` tarballs).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen } from '../support/cli';
import { busyboxImage, pushImage } from '../support/images';
import { TestRegistry } from '../support/registry';

function blobCount(store: string): number {
  const d = path.join(store, 'blobs', 'sha256');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => !f.startsWith('.')).length : 0;
}

describe('podgen rmi, image prune, image inspect', function () {
  this.timeout(120_000);
  let reg: TestRegistry;
  let store: string;
  let env: NodeJS.ProcessEnv;
  const a = busyboxImage();
  const b = busyboxImage({ compression: 'zstd' });

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/a', 'v1', a);
    await pushImage(reg, 'test/a', 'v2', a); // same content, second name
    await pushImage(reg, 'test/b', 'v1', b);
  });
  after(function () {
    reg?.stop();
  });
  beforeEach(function () {
    store = fs.mkdtempSync('/var/tmp/podgen-store-');
    env = { PODGEN_STORE: store, QUADLET_UNIT_DIRS: path.join(store, 'definitions') };
    fs.mkdirSync(path.join(store, 'definitions'));
    for (const ref of ['test/a:v1', 'test/a:v2', 'test/b:v1']) assert.equal(podgen(['pull', '-q', `${reg.address}/${ref}`], { env }).status, 0);
  });
  afterEach(function () {
    fs.rmSync(store, { recursive: true, force: true });
  });

  it('refuses to remove an image a definition uses, unless --force', function () {
    const def = path.join(store, 'definitions', 'web.container');
    fs.writeFileSync(def, `[Container]\nImage=${reg.address}/test/b:v1\n`);
    const refused = podgen(['rmi', `${reg.address}/test/b:v1`], { env });
    assert.equal(refused.status, 1);
    assert.ok(refused.stderr.includes(`is used by ${def}`), refused.stderr);
    assert.match(refused.stderr, /hint: remove or change those definitions first, or use --force/);
    const forced = podgen(['rmi', '--force', `${reg.address}/test/b:v1`], { env });
    assert.equal(forced.status, 0, forced.stderr);
    assert.doesNotMatch(podgen(['images'], { env }).stdout, /test\/b:v1/);
  });

  it('frees only what no other image uses', function () {
    const before = blobCount(store);
    const first = podgen(['rmi', `${reg.address}/test/a:v1`], { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\(0 blobs, 0 unpacked layers freed\)/); // test/a:v2 still uses them
    assert.equal(blobCount(store), before);
    const second = podgen(['rmi', `${reg.address}/test/a:v2`], { env });
    assert.equal(second.status, 0, second.stderr);
    // test/b has the same uncompressed layers (zstd instead of gzip): the config and the unpacked
    // layers are shared with it and stay; the manifest and the two gzip blobs go.
    assert.match(second.stdout, /\(3 blobs, 0 unpacked layers freed\)/);
    assert.equal(blobCount(store), before - 3);
    const last = podgen(['rmi', `${reg.address}/test/b:v1`], { env });
    assert.equal(last.status, 0, last.stderr);
    assert.match(last.stdout, process.getuid?.() === 0 ? /\(4 blobs, 2 unpacked layers freed\)/ : /\(4 blobs, 0 unpacked layers freed\)/);
    assert.equal(blobCount(store), 0);
  });

  it('image prune removes orphaned blobs and keeps the used ones', function () {
    const orphan = path.join(store, 'blobs', 'sha256', 'f'.repeat(64));
    fs.writeFileSync(orphan, 'nobody refers to me');
    const before = blobCount(store);
    const r = podgen(['image', 'prune'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /freed 1 blobs/);
    assert.equal(blobCount(store), before - 1);
    assert.ok(!fs.existsSync(orphan));
  });

  it('image inspect shows the config; an unknown image is exit 66', function () {
    const r = podgen(['image', 'inspect', `${reg.address}/test/a:v1`], { env });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { configDigest: string; config: { config: { Cmd: string[] } } };
    assert.equal(info.configDigest, a.config.digest);
    assert.deepEqual(info.config.config.Cmd, ['/bin/sh']);
    const missing = podgen(['image', 'inspect', 'docker.io/library/nothing:here'], { env });
    assert.equal(missing.status, 66);
    assert.match(missing.stderr, /no image "docker.io\/library\/nothing:here" in the store/);
  });
});

describe('podgen load (tarballs from podman save)', function () {
  this.timeout(120_000);
  let work: string;
  let podmanId: string;
  const podman = (): string[] => ['podman', '--root', `${work}/storage`, '--runroot', `${work}/run`, '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];

  before(function () {
    work = fs.mkdtempSync('/var/tmp/podgen-load-');
    fs.mkdirSync(path.join(work, 'rootfs', 'bin'), { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(work, 'rootfs', 'bin', 'busybox'));
    fs.symlinkSync('busybox', path.join(work, 'rootfs', 'bin', 'sh'));
    const run = (argv: string[]): string => {
      const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
      assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    run(['tar', '-C', path.join(work, 'rootfs'), '-cf', path.join(work, 'rootfs.tar'), '.']);
    run([...podman(), 'import', '-q', path.join(work, 'rootfs.tar'), 'localhost/podgen-load:v1']);
    podmanId = run([...podman(), 'image', 'inspect', '--format', '{{.Id}}', 'localhost/podgen-load:v1']).trim();
    run([...podman(), 'save', '-q', '-o', path.join(work, 'docker.tar'), 'localhost/podgen-load:v1']);
    run([...podman(), 'save', '-q', '--format', 'oci-archive', '-o', path.join(work, 'oci.tar'), 'localhost/podgen-load:v1']);
  });
  after(function () {
    if (work) {
      spawnSync(podman()[0] as string, [...podman().slice(1), 'rmi', '-a', '-f'], { stdio: 'ignore' });
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`round-trips a ${format}-archive: same name, same config, usable layers`, function () {
      const store = path.join(work, `store-${format}`);
      const r = podgen(['load', '-i', path.join(work, `${format}.tar`)], { env: { PODGEN_STORE: store } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^loaded localhost\/podgen-load:v1 sha256:[a-f0-9]{64}$/m);
      const info = JSON.parse(podgen(['image', 'inspect', 'localhost/podgen-load:v1'], { env: { PODGEN_STORE: store } }).stdout) as {
        configDigest: string;
        layers: Array<{ unpacked: string | null }>;
      };
      assert.equal(info.configDigest, `sha256:${podmanId}`);
      if (process.getuid?.() === 0) {
        const dir = info.layers[0]?.unpacked;
        assert.ok(dir && fs.existsSync(path.join(dir, 'bin', 'busybox')), 'the loaded layer was not unpacked');
      }
    });
  }

  it('refuses a file that is not an image archive', function () {
    const bogus = path.join(work, 'bogus.tar');
    spawnSync('tar', ['-C', path.join(work, 'rootfs'), '-cf', bogus, '.']);
    const r = podgen(['load', '-i', bogus], { env: { PODGEN_STORE: path.join(work, 'store-bogus') } });
    assert.equal(r.status, 65);
    assert.match(r.stderr, /is neither a docker-archive nor an oci-archive/);
  });
});
