// src/values: one pure parser per kind of value, for decode, the planner and
// the runtime alike. What each accepts, what it makes of it, what it refuses.

import { strict as assert } from 'node:assert';
import { parseCapability } from '../../src/values/capability';
import { cpuQuota, parseCpus } from '../../src/values/cpus';
import { parseDuration } from '../../src/values/duration';
import type { Parsed } from '../../src/values/parsed';
import { parsePublish, portMappings } from '../../src/values/port';
import { parseSignal } from '../../src/values/signal';
import { parseSize } from '../../src/values/size';
import { parseUlimit } from '../../src/values/ulimit';
import { parseVolume } from '../../src/values/volume';

const value = <T>(p: Parsed<T>): T => {
  assert.ok(p.ok, p.ok ? '' : p.message);
  return p.value;
};
const refused = <T>(p: Parsed<T>, message: RegExp): void => {
  assert.ok(!p.ok, `accepted: ${JSON.stringify(p)}`);
  assert.match(p.message, message);
};

describe('value parsers (src/values)', function () {
  it('sizes: docker units, decimals, whole bytes', function () {
    assert.equal(value(parseSize('512m')), 512 * 1024 ** 2);
    assert.equal(value(parseSize('1.5g')), 1.5 * 1024 ** 3);
    assert.equal(value(parseSize('2GiB')), 2 * 1024 ** 3);
    assert.equal(value(parseSize('1024')), 1024);
    assert.equal(value(parseSize('1.5')), 1);
    refused(parseSize('12XB'), /not a size/);
    refused(parseSize('-1m'), /not a size/);
  });

  it('CPU counts: ten-thousandths, as systemd\'s CPUQuota= can say them', function () {
    assert.equal(cpuQuota(value(parseCpus('1.5'))), '150%');
    assert.equal(cpuQuota(value(parseCpus('0.001'))), '0.1%');
    assert.equal(cpuQuota(value(parseCpus('2'))), '200%');
    assert.equal(cpuQuota(value(parseCpus('0.0001'))), '0.01%');
    refused(parseCpus('0.00001'), /below what systemd can limit to/);
    refused(parseCpus('0.00015'), /finer than systemd can limit to/);
    refused(parseCpus('0'), /below/);
    refused(parseCpus('two'), /not a CPU count/);
  });

  it("durations: Go's syntax, a bare number is not one (podman refuses it too)", function () {
    assert.equal(value(parseDuration('1m30s')), 90_000);
    assert.equal(value(parseDuration('500ms')), 500);
    assert.equal(value(parseDuration('1.5h')), 5_400_000);
    assert.equal(value(parseDuration('0')), 0);
    refused(parseDuration('30'), /not a duration/);
    refused(parseDuration('10 seconds'), /not a duration/);
  });

  it('signals: any case, with or without SIG, numbers, real-time offsets; the canonical name', function () {
    assert.deepEqual(value(parseSignal('term')), { name: 'SIGTERM', number: 15 });
    assert.deepEqual(value(parseSignal('SigKill')), { name: 'SIGKILL', number: 9 });
    assert.deepEqual(value(parseSignal('2')), { name: 'SIGINT', number: 2 });
    assert.deepEqual(value(parseSignal('RTMIN+3')), { name: 'SIGRTMIN+3', number: 37 });
    assert.deepEqual(value(parseSignal('37')), { name: 'SIGRTMIN+3', number: 37 });
    // glibc keeps 32 and 33 for itself: they have no name, and systemd takes them as numbers.
    assert.deepEqual(value(parseSignal('32')), { name: '32', number: 32 });
    assert.deepEqual(value(parseSignal('33')), { name: '33', number: 33 });
    refused(parseSignal('SIGFOO'), /not a signal/);
    refused(parseSignal('65'), /out of range/);
  });

  it('published ports: ranges of the same length, IPv6 in brackets, protocols', function () {
    assert.deepEqual(value(parsePublish('127.0.0.1:8000-8001:80-81/udp')), { hostIp: '127.0.0.1', host: [8000, 8001], container: [80, 81], protocol: 'udp' });
    assert.deepEqual(portMappings(value(parsePublish('[::1]:8080:80'))), [{ hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.equal(value(parsePublish('53:53/sctp')).protocol, 'sctp');
    assert.deepEqual(portMappings(value(parsePublish('80'))), [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    refused(parsePublish('8000-8002:80-81'), /ranges differ in length/);
    refused(parsePublish('80:99999'), /container port 99999 is out of range/);
    refused(parsePublish('9-8:80'), /runs backwards/);
    refused(parsePublish('80/icmp'), /not tcp, udp or sctp/);
    refused(parsePublish('nohost:80:80'), /"nohost" .* is not an IP address/);
  });

  it('volumes: bind, named, anonymous; options; absolute destinations', function () {
    assert.deepEqual(value(parseVolume('/srv:/data:ro,Z')), { kind: 'bind', source: '/srv', target: '/data', options: ['ro', 'Z'] });
    assert.deepEqual(value(parseVolume('db:/var/lib/db')), { kind: 'named', name: 'db', target: '/var/lib/db', options: [] });
    assert.deepEqual(value(parseVolume('/cache')), { kind: 'anonymous', target: '/cache' });
    refused(parseVolume('/a:b'), /not an absolute path/);
    refused(parseVolume('/a:/b:bogus'), /unknown volume option "bogus"/);
    refused(parseVolume(':/b'), /empty source/);
    refused(parseVolume('bad name:/b'), /neither an absolute path nor a volume name/);
  });

  it('ulimits: known names, soft no higher than hard', function () {
    assert.deepEqual(value(parseUlimit('nofile=1024:2048')), { type: 'nofile', soft: 1024, hard: 2048 });
    assert.deepEqual(value(parseUlimit('core=unlimited')), { type: 'core', soft: -1, hard: -1 });
    assert.deepEqual(value(parseUlimit('nproc=100:-1')), { type: 'nproc', soft: 100, hard: -1 });
    refused(parseUlimit('nofile=10:5'), /soft limit is above the hard one/);
    refused(parseUlimit('nofile=-1:5'), /soft limit is above the hard one/);
    refused(parseUlimit('files=10'), /"files" .* is not a limit/);
  });

  it('capabilities: known names only, canonical spelling', function () {
    assert.equal(value(parseCapability('net_admin')), 'CAP_NET_ADMIN');
    assert.equal(value(parseCapability('CAP_SYS_TIME')), 'CAP_SYS_TIME');
    assert.equal(value(parseCapability('all')), 'ALL');
    refused(parseCapability('CAP_MAKE_COFFEE'), /not a capability/);
  });
});
