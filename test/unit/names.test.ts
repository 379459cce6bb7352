import { strict as assert } from 'node:assert';
import { suggest } from '../../src/decode/suggest';
import { installSymlinks } from '../../src/plan/installSymlinks';
import { parseUnitText } from '../../src/parse/parseUnitFile';
import { dropinDirNames, invalidNameReason, templateParts } from '../../src/resolve/unitName';
import * as v from '../../src/decode/validate';

describe('names, drop-ins and [Install]', function () {
  it('template parts', function () {
    assert.deepEqual(templateParts('web@a.container'), { prefix: 'web', instance: 'a', isTemplate: true });
    assert.deepEqual(templateParts('web@.container'), { prefix: 'web', instance: '', isTemplate: true });
    assert.deepEqual(templateParts('web.container'), { prefix: 'web', instance: '', isTemplate: false });
  });
  it('drop-in directories, most specific first (systemd/Quadlet hierarchy)', function () {
    assert.deepEqual(dropinDirNames('foo-bar-baz.container'), [
      'foo-bar-baz.container.d',
      'foo-bar-.container.d',
      'foo-.container.d',
      'container.d',
    ]);
    assert.deepEqual(dropinDirNames('web@1.container'), ['web@1.container.d', 'web@.container.d', 'container.d']);
  });
  it('refuses names that are not unit names', function () {
    assert.match(invalidNameReason('a/b') ?? '', /"\/"/);
    assert.match(invalidNameReason('a..b') ?? '', /"\.\."/);
    assert.equal(invalidNameReason('web@1'), undefined);
  });
  it('suggests the closest key', function () {
    const keys = ['PublishPort', 'Volume', 'Environment'];
    assert.equal(suggest('Publishport', keys), 'PublishPort');
    assert.equal(suggest('Enviroment', keys), 'Environment');
    assert.equal(suggest('Zzz', keys), undefined);
    // Two neighbours swapped is one slip of the fingers, not two.
    assert.equal(suggest('Wnats', ['Wants', 'After', 'Before']), 'Wants');
    assert.equal(suggest('Evnironment', keys), 'Environment');
  });
  it('[Install] symlinks like systemctl enable (templates need DefaultInstance)', function () {
    const unit = parseUnitText('[Install]\nWantedBy=multi-user.target\nAlias=x.service\nDefaultInstance=7\n', '/d/w@.container', 'w@.container').unit;
    assert.deepEqual(installSymlinks(unit, 'w@.service'), [
      { path: 'x.service', target: 'w@.service' },
      { path: 'multi-user.target.wants/w@7.service', target: '../w@.service' },
    ]);
    const noDefault = parseUnitText('[Install]\nWantedBy=a.target\n', '/d/w@.container', 'w@.container').unit;
    assert.deepEqual(installSymlinks(noDefault, 'w@.service'), []);
  });
});

describe('value validators', function () {
  it('ports', function () {
    for (const ok of ['80', '8080:80', '127.0.0.1:8080:80/tcp', '[::1]:53:53/udp', '::95', '${PORT}:${PORT}', '8000-8010:8000-8010']) {
      assert.equal(v.publishPort(ok), undefined, ok);
    }
    for (const bad of ['80:99999', '0', 'abc', '80:80/icmp', '10-5:80', '1.2.3:80:80']) assert.notEqual(v.publishPort(bad), undefined, bad);
  });
  it('memory sizes', function () {
    for (const ok of ['512m', '2g', '20G', '1073741824', '1.5g', '100MiB']) assert.equal(v.memorySize(ok), undefined, ok);
    for (const bad of ['12XB', 'lots', '-1m']) assert.notEqual(v.memorySize(bad), undefined, bad);
  });
  it('volumes', function () {
    for (const ok of ['/a:/b', '/a:/b:ro,Z', 'named:/b', '/anon', './rel:/b', '%h/x:/y']) assert.equal(v.volume(ok), undefined, ok);
    for (const bad of ['/a:b', '/a:/b:bogus', ':/b', 'a:b:c:d']) assert.notEqual(v.volume(bad), undefined, bad);
  });
  it('image references', function () {
    for (const ok of ['nginx', 'docker.io/library/nginx:1.25', 'localhost:5000/a/b@sha256:' + 'a'.repeat(64), 'x.image']) {
      assert.equal(v.imageReference(ok), undefined, ok);
    }
    for (const bad of ['UPPER/case', 'nginx::1', 'a'.repeat(400)]) assert.notEqual(v.imageReference(bad), undefined, bad);
  });
});
