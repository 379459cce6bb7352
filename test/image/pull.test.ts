// podgen pull against a real registry on 127.0.0.1 with images built offline.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { podgen, PODGEN_BIN } from '../support/cli';
import { busyboxImage, pushImage, pushIndex } from '../support/images';
import { TestRegistry } from '../support/registry';

interface StoredImage {
  name: string;
  manifestDigest: string;
  configDigest: string;
  layers: string[];
}

function images(store: string): StoredImage[] {
  const f = path.join(store, 'images.json');
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as { images: StoredImage[] }).images : [];
}

function blobs(store: string): string[] {
  const d = path.join(store, 'blobs', 'sha256');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => !f.startsWith('.')).sort() : [];
}

function partials(store: string): string[] {
  const d = path.join(store, 'blobs', 'sha256', '.partial');
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
}

/** Every stored blob hashes to its name. */
function assertStoreConsistent(store: string): void {
  for (const hex of blobs(store)) {
    const actual = crypto.createHash('sha256').update(fs.readFileSync(path.join(store, 'blobs', 'sha256', hex))).digest('hex');
    assert.equal(actual, hex, `blob ${hex} is corrupt`);
  }
  for (const img of images(store)) {
    for (const d of [img.manifestDigest, img.configDigest, ...img.layers]) assert.ok(blobs(store).includes(d.slice(7)), `${img.name} refers to missing ${d}`);
  }
}

function pullAsync(args: string[], env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [PODGEN_BIN, 'pull', ...args], { env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal, stderr })),
  );
  return { child, done };
}

describe('podgen pull (real registry on 127.0.0.1)', function () {
  this.timeout(120_000);
  let reg: TestRegistry;
  let store: string;
  let env: NodeJS.ProcessEnv;
  const gzipImage = busyboxImage({ compression: 'gzip' });
  const zstdImage = busyboxImage({ compression: 'zstd' });

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/busybox', 'gzip', gzipImage);
    await pushImage(reg, 'test/busybox', 'zstd', zstdImage);
    await pushIndex(reg, 'test/multi', 'latest', { amd64: gzipImage, arm64: busyboxImage({ architecture: 'arm64' }) });
  });
  after(function () {
    reg?.stop();
  });
  beforeEach(function () {
    store = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-store-'));
    env = { PODGEN_STORE: store };
  });
  afterEach(function () {
    fs.rmSync(store, { recursive: true, force: true });
  });

  it('pulls an image: every blob stored once under its verified digest, and listed', function () {
    const r = podgen(['pull', `${reg.address}/test/busybox:gzip`], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${reg.address}/test/busybox:gzip ${gzipImage.manifest.digest} \\(3 blobs downloaded`));
    const expected = [gzipImage.manifest, gzipImage.config, ...gzipImage.layers].map((b) => b.digest.slice(7)).sort();
    assert.deepEqual(blobs(store), expected);
    assertStoreConsistent(store);
    const list = podgen(['images'], { env });
    assert.match(list.stdout, new RegExp(`${reg.address}/test/busybox:gzip +${gzipImage.manifest.digest.slice(7, 19)}`));
  });

  it('shows per-layer progress on a terminal and one line per layer otherwise', function () {
    // script(1) gives the command a pseudo-terminal, as an interactive shell would.
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${PODGEN_BIN} pull --no-unpack ${reg.address}/test/busybox:gzip`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    assert.equal(tty.status, 0, tty.stdout);
    for (const l of gzipImage.layers) assert.match(tty.stdout, new RegExp(`blob ${l.digest.slice(7, 19)}: done +[\\d.]+ \\w+ / [\\d.]+ \\w+ 100%`));
    assert.match(tty.stdout, /\x1b\[\d+A/, 'no redraw: not a live display');
    fs.rmSync(store, { recursive: true, force: true });
    const plain = podgen(['pull', '--no-unpack', `${reg.address}/test/busybox:gzip`], { env });
    assert.equal(plain.status, 0, plain.stderr);
    for (const l of gzipImage.layers) assert.match(plain.stderr, new RegExp(`^blob ${l.digest.slice(7, 19)}: downloaded `, 'm'));
    assert.doesNotMatch(plain.stderr, /\x1b/);
  });

  it('re-pulling transfers no blob (counted in the registry access log)', function () {
    assert.equal(podgen(['pull', `${reg.address}/test/busybox:gzip`], { env }).status, 0);
    const before = reg.blobGets();
    const again = podgen(['pull', `${reg.address}/test/busybox:gzip`], { env });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /\(0 blobs downloaded, 0 bytes\)/);
    assert.equal(reg.blobGets(), before);
  });

  it('resolves a multi-arch index to this host (amd64)', function () {
    const r = podgen(['pull', '--json', `${reg.address}/test/multi:latest`], { env });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { image: StoredImage };
    assert.equal(out.image.manifestDigest, gzipImage.manifest.digest);
    assert.equal(out.image.configDigest, gzipImage.config.digest);
  });

  it('pulls zstd-compressed layers', function () {
    const r = podgen(['pull', '--quiet', `${reg.address}/test/busybox:zstd`], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), zstdImage.manifest.digest);
    assert.ok(blobs(store).includes(zstdImage.layers[0]?.digest.slice(7) as string));
  });

  it('short names resolve through registries.conf (unqualified-search-registries)', function () {
    const conf = path.join(store, 'registries.conf');
    fs.writeFileSync(conf, `unqualified-search-registries = ["${reg.address}"]\n`);
    const r = podgen(['pull', '-q', 'test/busybox:gzip'], { env: { ...env, CONTAINERS_REGISTRIES_CONF: conf } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(images(store)[0]?.name, `${reg.address}/test/busybox:gzip`);
  });

  it('a missing image: exit 66, says so, stores nothing', function () {
    const r = podgen(['pull', `${reg.address}/test/busybox:nope`], { env });
    assert.equal(r.status, 66);
    assert.match(r.stderr, /image 127\.0\.0\.1:\d+\/test\/busybox:nope not found/);
    assert.deepEqual(images(store), []);
  });

  it('a registry that is down: exit 69 with the address', async function () {
    const down = await TestRegistry.start();
    down.stop();
    const r = podgen(['pull', `${down.address}/test/busybox:gzip`], { env });
    assert.equal(r.status, 69, r.stderr);
    assert.ok(r.stderr.includes(`cannot reach registry ${down.address}: ECONNREFUSED`), r.stderr);
    assert.match(r.stderr, /hint: check the registry address and that it is up/);
  });

  it('malformed references are refused with the reason (exit 1)', function () {
    for (const [bad, why] of [
      ['nginx::1', /repository "nginx:" is not lowercase/],
      ['UPPER/case', /repository "UPPER\/case" is not lowercase/],
      [`nginx:${'a'.repeat(300)}`, /tag is 300 characters long \(at most 128\)/],
    ] as const) {
      const r = podgen(['pull', bad], { env });
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, why);
    }
  });

  it('a tampered blob is rejected and nothing is stored', async function () {
    const tampered = await TestRegistry.start();
    try {
      const img = busyboxImage();
      await pushImage(tampered, 'test/tampered', 'v1', img);
      const layer = img.layers[0];
      assert.ok(layer);
      const data = tampered.blobDataPath(layer.digest);
      const bytes = fs.readFileSync(data);
      bytes[bytes.length - 1] ^= 0xff;
      fs.writeFileSync(data, bytes);
      const r = podgen(['pull', `${tampered.address}/test/tampered:v1`], { env });
      assert.equal(r.status, 65, r.stderr);
      assert.match(r.stderr, new RegExp(`blob ${layer.digest} failed verification`));
      assert.ok(!blobs(store).includes(layer.digest.slice(7)), 'the tampered blob was stored');
      assert.deepEqual(partials(store), []);
      assert.deepEqual(images(store), []);
    } finally {
      tampered.stop();
    }
  });

  it('401 without credentials (exit 77); succeeds with credentials from auth.json', async function () {
    const secured = await TestRegistry.start({ auth: { user: 'alice', password: 's3cret' } });
    try {
      await pushImage(secured, 'test/private', 'v1', gzipImage);
      const denied = podgen(['pull', `${secured.address}/test/private:v1`], { env: { ...env, REGISTRY_AUTH_FILE: '/nonexistent', HOME: store } });
      assert.equal(denied.status, 77, denied.stderr);
      assert.match(denied.stderr, /refused access/);
      const authFile = path.join(store, 'auth.json');
      fs.writeFileSync(authFile, JSON.stringify({ auths: { [secured.address]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
      const ok = podgen(['pull', `${secured.address}/test/private:v1`], { env: { ...env, REGISTRY_AUTH_FILE: authFile } });
      assert.equal(ok.status, 0, ok.stderr);
    } finally {
      secured.stop();
    }
  });

  it('follows the registry token flow (Bearer challenge, anonymous token) as Docker Hub needs', async function () {
    const hub = await TestRegistry.start({ tokenAuth: true });
    try {
      await pushImage(hub, 'library/busybox', 'latest', gzipImage);
      const unauthenticated = await fetch(`http://${hub.address}/v2/library/busybox/manifests/latest`);
      assert.equal(unauthenticated.status, 401, 'the registry does not demand a token');
      assert.match(unauthenticated.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      const issued = hub.tokens?.issued ?? 0;
      // Asynchronously: the token service runs in this process and must keep answering.
      const r = await pullAsync(['--json', `${hub.address}/library/busybox:latest`], { ...env, REGISTRY_AUTH_FILE: '/nonexistent', HOME: store }).done;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(images(store)[0]?.manifestDigest, gzipImage.manifest.digest);
      assert.ok((hub.tokens?.issued ?? 0) > issued, 'no token was requested');
    } finally {
      hub.stop();
    }
  });

  it('kill -9 during a pull leaves a consistent store; the next pull finishes without refetching stored blobs', async function () {
    const big = busyboxImage({ extra: crypto.randomBytes(48 * 1024 * 1024) });
    await pushImage(reg, 'test/big', 'v1', big);
    const { child, done } = pullAsync([`${reg.address}/test/big:v1`], env);
    // Kill as soon as the first layer's download is under way.
    const deadline = Date.now() + 30_000;
    while (partials(store).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL', 'the pull finished before it could be killed');
    assertStoreConsistent(store);
    assert.deepEqual(images(store), [], 'an image was recorded before all of its blobs were stored');
    const storedBefore = blobs(store);
    // The registry logs a request when it ends: the killed pull's aborted downloads may land late.
    let gets = reg.blobGets();
    for (let stable = 0; stable < 5; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = reg.blobGets();
      stable = now === gets ? stable + 1 : 0;
      gets = now;
    }
    const again = podgen(['pull', '--json', `${reg.address}/test/big:v1`], { env });
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout) as { downloaded: number };
    assert.equal(result.downloaded, 3 - storedBefore.length);
    assert.equal(reg.blobGets() - gets, 3 - storedBefore.length);
    assertStoreConsistent(store);
    assert.equal(images(store).length, 1);
  });

  it('two concurrent pulls of the same image both succeed and agree', async function () {
    const a = pullAsync([`${reg.address}/test/busybox:gzip`], env);
    const b = pullAsync([`${reg.address}/test/busybox:gzip`], env);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.status, 0, ra.stderr);
    assert.equal(rb.status, 0, rb.stderr);
    assertStoreConsistent(store);
    assert.equal(images(store).length, 1);
    assert.deepEqual(partials(store), []);
  });

  for (const [what, size] of [
    ['while downloading', '256k'],
    ['while unpacking (the blobs fit, the unpacked layers do not)', '2600k'],
  ] as const) {
  it(`a full disk ${what}: exit 73 with a hint, nothing partial kept`, function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: mounting a small tmpfs needs root');
      this.skip();
    }
    const small = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-small-'));
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small]).status, 0);
    try {
      const r = podgen(['pull', `${reg.address}/test/busybox:gzip`], { env: { PODGEN_STORE: small } });
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /no space left on device/i);
      assert.match(r.stderr, /hint: the disk is full/);
      assert.deepEqual(partials(small), []);
      const layerPartials = path.join(small, 'layers', '.partial');
      assert.deepEqual(fs.existsSync(layerPartials) ? fs.readdirSync(layerPartials) : [], []);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'stack trace');
    } finally {
      spawnSync('umount', [small]);
      fs.rmSync(small, { recursive: true, force: true });
    }
  });
  }
});
