// Security options and seccomp profiles, pure half: --security-opt and
// --privileged parsing, Docker-format profiles turned into the OCI spec's
// linux.seccomp as Docker and podman do it, and what --privileged and
// mask=/unmask= do to the spec. The sandbox test (test/runtime/seccomp.test.ts)
// checks the filter inside a real container.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { PodgenError } from '../../src/errors';
import { ociSpec, MASKED_PATHS, READONLY_PATHS, type SpecContext } from '../../src/runtime/ociSpec';
import { DEFAULT_SECCOMP_PROFILE } from '../../src/runtime/paths';
import { parseRunArgs } from '../../src/runtime/runArgs';
import { ociSeccomp, readSeccompProfile } from '../../src/runtime/seccomp';
import { capabilitiesInMask, CAPABILITIES } from '../../src/values/capability';
import { parseSecurityOpt } from '../../src/values/securityOpt';

const ctx: SpecContext = {
  name: 'web', uid: 0, gid: 0, additionalGids: [], fileEnv: [], mounts: [], etcFiles: {}, netnsPath: undefined,
  cgroupsPath: '/system.slice/web.service/container', applyLimits: false, initPath: undefined, devices: [], seccomp: undefined, boundingCaps: CAPABILITIES.map((c) => `CAP_${c}`),
};
const defaultProfile = readSeccompProfile(fs.readFileSync(DEFAULT_SECCOMP_PROFILE, 'utf8'), DEFAULT_SECCOMP_PROFILE);
const withProfile: SpecContext = { ...ctx, seccomp: { profile: defaultProfile, arch: 'x64', kernel: '6.1.0-13-amd64' } };
type Linux = { seccomp?: { defaultAction: string; defaultErrnoRet?: number; architectures: string[]; syscalls: Array<{ names: string[]; action: string; errnoRet?: number }> }; maskedPaths: string[]; readonlyPaths: string[] };
const linuxOf = (argv: string[], c: SpecContext = withProfile): Linux => ociSpec(parseRunArgs([...argv, 'img', '/bin/true']), {}, c).linux as Linux;
const allowed = (l: Linux, name: string): boolean => (l.seccomp?.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes(name));
const denied = (l: Linux, name: string): boolean => (l.seccomp?.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_ERRNO' && s.errnoRet === 1 && s.names.includes(name));

describe('security options and seccomp profiles', function () {
  it('parses --security-opt values, Docker\'s NAME=VALUE and NAME:VALUE spellings', function () {
    assert.deepEqual(parseSecurityOpt('seccomp=unconfined'), { ok: true, value: { kind: 'seccomp', profile: { kind: 'unconfined' } } });
    assert.deepEqual(parseSecurityOpt('seccomp:/etc/p.json'), { ok: true, value: { kind: 'seccomp', profile: { kind: 'file', path: '/etc/p.json' } } });
    assert.deepEqual(parseSecurityOpt('unmask=ALL'), { ok: true, value: { kind: 'unmask', paths: 'ALL' } });
    assert.deepEqual(parseSecurityOpt('mask=/proc/a:/sys/b'), { ok: true, value: { kind: 'mask', paths: ['/proc/a', '/sys/b'] } });
    assert.deepEqual(parseSecurityOpt('no-new-privileges:false'), { ok: true, value: { kind: 'no-new-privileges', value: false } });
    assert.equal(parseSecurityOpt('mask=ALL').ok, false);
    assert.equal(parseSecurityOpt('apparmor=unconfined').ok, false);
    const a = parseRunArgs(['--privileged', '--security-opt', 'seccomp=unconfined', '--security-opt', 'mask=/x', '--security-opt', 'unmask=/proc/kcore', 'img']);
    assert.deepEqual([a.privileged, a.seccomp, a.mask, a.unmask], [true, { kind: 'unconfined' }, ['/x'], ['/proc/kcore']]);
    assert.deepEqual(parseRunArgs(['img']).seccomp, { kind: 'default' });
  });

  it('applies the default profile as podman does: x86-64 with its 32-bit ABIs, default errno ENOSYS, kernel keyring calls allowed', function () {
    const l = linuxOf([]);
    assert.ok(l.seccomp);
    assert.equal(l.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(l.seccomp.defaultErrnoRet, 38);
    assert.deepEqual(l.seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.ok(allowed(l, 'read') && allowed(l, 'clone3') && allowed(l, 'arch_prctl'));
    assert.ok(denied(l, 'move_pages') && denied(l, 'kexec_load'));
    // Other architectures' entries are dropped.
    assert.ok(!allowed(l, 's390_pci_mmio_read') && !allowed(l, 'arm_fadvise64_64'));
    assert.ok(l.seccomp.syscalls.every((s) => !('includes' in s) && !('excludes' in s)));
  });

  it('keys capability-guarded entries on the container\'s capabilities, as Docker does', function () {
    const plain = linuxOf([]);
    assert.ok(denied(plain, 'bpf') && !allowed(plain, 'bpf'), 'bpf is refused without CAP_SYS_ADMIN');
    const admin = linuxOf(['--cap-add', 'SYS_ADMIN']);
    assert.ok(allowed(admin, 'bpf') && !denied(admin, 'bpf'), 'bpf is allowed with CAP_SYS_ADMIN');
    // chroot is in Docker's default capability set, so allowed unless dropped.
    assert.ok(allowed(plain, 'chroot'));
    assert.ok(denied(linuxOf(['--cap-drop', 'SYS_CHROOT']), 'chroot'));
  });

  it('unconfined and --privileged have no filter; --privileged has every capability and no masked paths', function () {
    assert.equal(linuxOf(['--security-opt', 'seccomp=unconfined']).seccomp, undefined);
    const spec = ociSpec(parseRunArgs(['--privileged', 'img', '/bin/true']), {}, withProfile);
    const l = spec.linux as Linux;
    assert.equal(l.seccomp, undefined);
    assert.deepEqual([l.maskedPaths, l.readonlyPaths], [[], []]);
    const caps = (spec.process as { capabilities: { bounding: string[] } }).capabilities.bounding;
    assert.ok(caps.includes('CAP_SYS_ADMIN') && caps.length === 41, `${caps.length} capabilities`);
    const devices = (l as unknown as { resources: { devices: Array<{ allow: boolean }> } }).resources.devices;
    assert.equal(devices[0]?.allow, true);
    // Only what podgen holds itself: a nested host may lack some.
    const fewer = ociSpec(parseRunArgs(['--privileged', 'img', '/bin/true']), {}, { ...withProfile, boundingCaps: capabilitiesInMask('00000000a80425fb') });
    assert.deepEqual((fewer.process as { capabilities: { bounding: string[] } }).capabilities.bounding, capabilitiesInMask('a80425fb'));
    assert.equal(capabilitiesInMask('000001ffffffffff').length, 41);
    assert.deepEqual(capabilitiesInMask('3'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
  });

  it('mask= adds masked paths; unmask= opens default masked and read-only ones; unmask=ALL opens all', function () {
    const l = linuxOf(['--security-opt', 'mask=/proc/version', '--security-opt', 'unmask=/proc/kcore:/proc/sys']);
    assert.ok(l.maskedPaths.includes('/proc/version') && !l.maskedPaths.includes('/proc/kcore'));
    assert.equal(l.maskedPaths.length, MASKED_PATHS.length);
    assert.deepEqual(l.readonlyPaths, READONLY_PATHS.filter((p) => p !== '/proc/sys'));
    const all = linuxOf(['--security-opt', 'unmask=ALL']);
    assert.deepEqual([all.maskedPaths, all.readonlyPaths], [[], []]);
  });

  it('refuses a malformed profile with its place in the file', function () {
    const bad = (text: string, message: RegExp): void => {
      assert.throws(() => readSeccompProfile(text, '/etc/p.json'), (e: unknown) => e instanceof PodgenError && e.exitCode === 65 && message.test(e.message));
    };
    bad('{', /seccomp profile \/etc\/p.json: is not JSON/);
    bad('[]', /the top level is not a JSON object/);
    bad('{"defaultAction":"SCMP_ACT_NOPE"}', /defaultAction "SCMP_ACT_NOPE" is not a seccomp action/);
    bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"LT"}]}]}', /syscalls\[0\]\.args\[0\]\.op "LT" is not a comparison/);
    bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO"}]}', /syscalls\[0\]\.name is not a string/);
    bad('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', /has both architectures and archMap/);
  });

  it('keeps a minimal profile\'s explicit architectures, errnoRet and args', function () {
    const p = readSeccompProfile(
      '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"name":"uname","action":"SCMP_ACT_LOG","includes":{"minKernel":"99.0"}}]}',
      '/p.json',
    );
    assert.deepEqual(ociSeccomp(p, { arch: 'x64', kernel: '6.1.0', caps: [] }), {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] }],
    });
  });
});
