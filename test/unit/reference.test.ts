import { strict as assert } from 'node:assert';
import { formatReference, isLoopbackRegistry, parseReference, registryEndpoint, shortNameRegistryFrom } from '../../src/image/reference';
import { hostPlatform, parseManifest, selectPlatform } from '../../src/image/manifest';
import { safeEntryPath, TarScanner } from '../../src/image/tarScan';

const canonical = (s: string, short?: string): string => {
  const p = parseReference(s, short);
  assert.ok(p.ok, s);
  return formatReference(p.ref);
};

describe('image references', function () {
  it('expands short names like podman does for Docker Hub', function () {
    assert.equal(canonical('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(canonical('nginx:1.25'), 'docker.io/library/nginx:1.25');
    assert.equal(canonical('bitnami/redis'), 'docker.io/bitnami/redis:latest');
    assert.equal(canonical('localhost:5000/x/y@sha256:' + 'a'.repeat(64)), `localhost:5000/x/y@sha256:${'a'.repeat(64)}`);
    assert.equal(canonical('team/app:2', 'registry.example.com'), 'registry.example.com/team/app:2');
  });
  it('reads the short-name registry from registries.conf', function () {
    assert.equal(shortNameRegistryFrom('# unqualified-search-registries = ["example.com"]\n'), 'docker.io');
    assert.equal(shortNameRegistryFrom('unqualified-search-registries = ["quay.io", "docker.io"]\n'), 'quay.io');
    assert.equal(shortNameRegistryFrom(undefined), 'docker.io');
  });
  it('refuses malformed references with the reason', function () {
    for (const [bad, why] of [
      ['nginx::1', /repository "nginx:" is not lowercase/],
      ['UPPER/case', /is not lowercase/],
      [`x:${'t'.repeat(300)}`, /tag is 300 characters long/],
      ['x@sha256:abc', /digest "sha256:abc" is not/],
      ['', /it is empty/],
    ] as const) {
      const p = parseReference(bad);
      assert.ok(!p.ok && why.test(p.message), `${bad}: ${p.ok ? 'accepted' : p.message}`);
    }
  });
  it('knows Docker Hub\'s API host and which registries are loopback', function () {
    assert.equal(registryEndpoint('docker.io'), 'registry-1.docker.io');
    assert.ok(isLoopbackRegistry('127.0.0.1:5000') && isLoopbackRegistry('localhost') && isLoopbackRegistry('[::1]:80'));
    assert.ok(!isLoopbackRegistry('registry.example.com'));
  });
});

describe('manifests', function () {
  it('picks the host platform from an index, or lists what there is', function () {
    const d = (arch: string) => ({ mediaType: 'x', digest: `sha256:${arch.padEnd(64, '0').slice(0, 64).replace(/[^a-f0-9]/g, '0')}`, size: 1, platform: { os: 'linux', architecture: arch } });
    assert.equal(selectPlatform([d('arm64'), d('amd64')], { os: 'linux', architecture: 'amd64' }).platform?.architecture, 'amd64');
    assert.throws(() => selectPlatform([d('s390x')], { os: 'linux', architecture: 'amd64' }), /has no linux\/amd64 variant \(it offers: linux\/s390x\)/);
    assert.equal(hostPlatform().os, 'linux');
  });
  it('refuses unsupported media types and malformed JSON', function () {
    assert.throws(() => parseManifest('{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}', ''), /unsupported manifest media type/);
    assert.throws(() => parseManifest('not json', ''), /not JSON/);
  });
});

describe('tar scanning', function () {
  it('normalises safe paths and refuses escapes', function () {
    assert.equal(safeEntryPath('./a/./b/'), 'a/b');
    assert.throws(() => safeEntryPath('a/../../b'), /could escape/);
    assert.throws(() => safeEntryPath('/etc/passwd'), /absolute/);
  });
  it('refuses a truncated archive', function () {
    const s = new TarScanner();
    const h = Buffer.alloc(512);
    h.write('file', 0);
    h.write('0000644\0', 100);
    h.write(`${(1000).toString(8).padStart(11, '0')}\0`, 124);
    h.write('        ', 148);
    h.write('0', 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    s.feed(Buffer.concat([h, Buffer.alloc(100)]));
    assert.throws(() => s.finish(), /truncated/);
  });
});
