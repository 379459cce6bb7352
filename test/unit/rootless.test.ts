// Rootless id mappings (src/runtime/rootless.ts): what UserNS=, UIDMap=/GIDMap= and the
// subordinate ranges become on the host, as podman's rootless mode maps them.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { missingControllerWarnings, neededControllers } from '../../src/commands/delegation';
import { parseRunArgs } from '../../src/runtime/runArgs';
import { composeMappings, type IdMapping, parseIdMap, parseUserNs, planUserNamespace, rootlessRootfsMode, subIdRanges, unprivilegedPortStart, userNamespace } from '../../src/runtime/rootless';

const base = { uidMap: [], gidMap: [], uid: 1500, gid: 1500, subuid: [{ start: 200000, count: 65536 }], subgid: [{ start: 300000, count: 65536 }] };

/** Where container id `id` lands on the host under `maps` (undefined: unmapped). */
function hostOf(maps: readonly IdMapping[], id: number): number | undefined {
  const m = maps.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m ? m.hostID + (id - m.containerID) : undefined;
}

describe('rootless user namespaces (src/runtime/rootless.ts)', function () {
  it('reads the user\'s ranges by name or uid, in file order, skipping malformed lines', function () {
    const text = 'bob:100000:65536\nalice:200000:1000\n1500:300000:10\nalice:x:5\nalice:400000:0\n';
    assert.deepEqual(subIdRanges(text, 'alice', 1500), [{ start: 200000, count: 1000 }, { start: 300000, count: 10 }]);
    assert.deepEqual(subIdRanges(undefined, 'alice', 1500), []);
  });

  it('root file system: overlay from Linux 5.11, a copy before, either forced by PODGEN_ROOTLESS_ROOTFS, anything else refused', function () {
    assert.equal(rootlessRootfsMode('6.1.0-18-amd64', undefined).mode, 'overlay');
    assert.equal(rootlessRootfsMode('5.11.0', '').mode, 'overlay');
    const old = rootlessRootfsMode('5.10.0-28-amd64', undefined);
    assert.equal(old.mode, 'copy');
    assert.match(old.reason, /Linux 5\.10\.0-28-amd64 cannot mount overlayfs in a user namespace/);
    assert.deepEqual(rootlessRootfsMode('6.18.0', 'copy'), { mode: 'copy', reason: 'PODGEN_ROOTLESS_ROOTFS=copy' });
    assert.equal(rootlessRootfsMode('4.19.0', 'overlay').mode, 'overlay');
    assert.throws(() => rootlessRootfsMode('6.1.0', 'fuse'), /PODGEN_ROOTLESS_ROOTFS=fuse is not a root file system mode/);
  });

  it('default: root in the container is you, 1... your subordinate ids', function () {
    const p = planUserNamespace({ ...base, mode: parseUserNs(undefined) });
    assert.deepEqual(p.uidMappings, [{ containerID: 0, hostID: 1500, size: 1 }, { containerID: 1, hostID: 200000, size: 65536 }]);
    assert.deepEqual(p.gidMappings, [{ containerID: 0, hostID: 1500, size: 1 }, { containerID: 1, hostID: 300000, size: 65536 }]);
    assert.equal(p.defaultUser, undefined);
  });

  it('keep-id: your uid and gid are the same inside, and the container runs as you', function () {
    const p = planUserNamespace({ ...base, mode: parseUserNs('keep-id') });
    assert.equal(hostOf(p.uidMappings, 1500), 1500);
    assert.equal(hostOf(p.uidMappings, 0), 200000);
    assert.equal(hostOf(p.uidMappings, 1499), 201499);
    assert.equal(hostOf(p.uidMappings, 1501), 201500);
    assert.equal(hostOf(p.gidMappings, 1500), 1500);
    assert.deepEqual(p.defaultUser, { uid: 1500, gid: 1500 });
    const moved = planUserNamespace({ ...base, mode: parseUserNs('keep-id:uid=1000,gid=100') });
    assert.equal(hostOf(moved.uidMappings, 1000), 1500);
    assert.equal(hostOf(moved.gidMappings, 100), 1500);
    assert.deepEqual(moved.defaultUser, { uid: 1000, gid: 100 });
  });

  it('nomap: you are not in the container at all', function () {
    const p = planUserNamespace({ ...base, mode: parseUserNs('nomap') });
    assert.deepEqual(p.uidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }]);
    assert.throws(() => planUserNamespace({ ...base, subuid: [], mode: parseUserNs('nomap') }), /nomap needs subordinate ids/);
  });

  it('UIDMap=/GIDMap= count host ids in your namespace and are split where your ranges end', function () {
    const two = { ...base, subuid: [{ start: 200000, count: 10 }, { start: 500000, count: 10 }] };
    const p = planUserNamespace({ ...two, mode: { kind: 'default' }, uidMap: [parseIdMap('0:5:10')], gidMap: [parseIdMap('0:0:1')] });
    assert.deepEqual(p.uidMappings, [{ containerID: 0, hostID: 200004, size: 6 }, { containerID: 6, hostID: 500000, size: 4 }]);
    assert.deepEqual(p.gidMappings, [{ containerID: 0, hostID: 1500, size: 1 }]);
    assert.throws(() => planUserNamespace({ ...two, mode: { kind: 'default' }, uidMap: [parseIdMap('0:15:10')] }), /UIDMap: id 21 of your user namespace is not mapped \(it has 21 ids/);
    assert.throws(() => parseRunArgs(['--userns', 'keep-id', '--uidmap', '0:0:1', 'img']), /UserNS=keep-id cannot be combined with UIDMap=\/GIDMap=/);
  });

  it('refuses what it does not honour, with the alternatives', function () {
    assert.throws(() => parseUserNs('auto'), /UserNS=auto is not supported by the podgen engine/);
    assert.throws(() => parseUserNs('keep-id:size=3'), /unknown keep-id option "size=3"/);
    assert.throws(() => parseIdMap('0:1'), /not an id mapping/);
    assert.throws(() => parseIdMap('0:1:0'), /not an id mapping/);
  });

  it('ids two ranges share (or your own id in a range) are mapped once: the kernel refuses overlapping host ids', function () {
    assert.deepEqual(userNamespace(1500, [{ start: 165536, count: 65536 }, { start: 200000, count: 65536 }]), [
      { containerID: 0, hostID: 1500, size: 1 },
      { containerID: 1, hostID: 165536, size: 65536 },
      { containerID: 65537, hostID: 231072, size: 34464 },
    ]);
    assert.deepEqual(userNamespace(100005, [{ start: 100000, count: 10 }]), [
      { containerID: 0, hostID: 100005, size: 1 },
      { containerID: 1, hostID: 100000, size: 5 },
      { containerID: 6, hostID: 100006, size: 4 },
    ]);
  });

  it('composition maps every id of the container to the host id podman would (property)', function () {
    const ranges = fc.array(fc.record({ start: fc.integer({ min: 100000, max: 1_000_000 }), count: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(ranges, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 30 }), (subuid, hostStart, containerStart, size) => {
        const outer = userNamespace(1000, subuid);
        const total = outer.reduce((n, m) => n + m.size, 0);
        fc.pre(hostStart + size <= total);
        const composed = composeMappings([{ containerID: containerStart, hostID: hostStart, size }], outer, 'UIDMap');
        for (let i = 0; i < size; i++) assert.equal(hostOf(composed, containerStart + i), hostOf(outer, hostStart + i));
        assert.equal(composed.reduce((n, m) => n + m.size, 0), size);
      }),
    );
  });

  it('limits whose controller the user manager lacks are named with the setting and the fix', function () {
    const unit = '[Service]\nMemoryMax=536870912\nCPUQuota=50%\nTasksMax=100\nIOWeight=10\n';
    assert.deepEqual([...neededControllers(unit)], [['memory', 'MemoryMax'], ['cpu', 'CPUQuota'], ['pids', 'TasksMax'], ['io', 'IOWeight']]);
    const warnings = missingControllerWarnings([{ unit: 'web.service', text: unit }], ['cpu', 'memory', 'pids']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^web\.service sets IOWeight= but the io controller is not delegated to your user manager/);
    assert.deepEqual(missingControllerWarnings([{ unit: 'web.service', text: '[Service]\nType=notify\n' }], []), []);
  });

  it('reads the unprivileged port start sysctl, 1024 when it cannot', function () {
    assert.equal(unprivilegedPortStart('80\n'), 80);
    assert.equal(unprivilegedPortStart(undefined), 1024);
    assert.equal(unprivilegedPortStart(''), 1024);
  });
});
