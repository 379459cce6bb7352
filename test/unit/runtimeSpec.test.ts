// The pure half of the runtime: docker run flags -> RunArgs -> OCI config.

import { strict as assert } from 'node:assert';
import { PodgenError } from '../../src/errors';
import { capabilities, DEFAULT_CAPS, type ImageConfig, ociSpec, processArgs, processEnv, type SpecContext } from '../../src/runtime/ociSpec';
import { parseRunArgs } from '../../src/runtime/runArgs';
import { parseSize } from '../../src/values/size';

const parsePublish = (v: string) => parseRunArgs(['-p', v, 'img']).publish;
const parseVolume = (v: string) => parseRunArgs(['-v', v, 'img']).volumes[0] as NonNullable<ReturnType<typeof parseRunArgs>['volumes'][number]>;

const ctx: SpecContext = {
  name: 'web',
  uid: 0,
  gid: 0,
  additionalGids: [],
  fileEnv: [],
  mounts: [],
  etcFiles: {},
  netnsPath: undefined,
  cgroupsPath: '/system.slice/web.service/container',
  applyLimits: false,
  initPath: undefined,
  devices: [],
  seccomp: undefined,
  boundingCaps: [],
};

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PodgenError && e.data.kind === 'usage' && message.test(e.message));
}

describe('runtime: docker run flags', function () {
  it("parses the seeds' line: -dt -p 80:80 --name nginx -v /data:/data -e NGINX_VERSION=1.16 nginx:1.16.0", function () {
    const a = parseRunArgs(['-dt', '-p', '80:80', '--name', 'nginx', '-v', '/data:/data', '-e', 'NGINX_VERSION=1.16', 'nginx:1.16.0']);
    assert.equal(a.detach, true);
    assert.equal(a.tty, true);
    assert.equal(a.name, 'nginx');
    assert.deepEqual(a.publish, [{ hostIp: '', hostPort: 80, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(a.volumes, [{ kind: 'bind', source: '/data', target: '/data', options: [] }]);
    assert.deepEqual(a.env, [['NGINX_VERSION', '1.16']]);
    assert.equal(a.image, 'nginx:1.16.0');
    assert.deepEqual(a.command, []);
    assert.equal(a.network, 'bridge', 'bridge is the default, as in docker');
  });

  it('takes --flag=value, attached short values, and stops at the image (its flags are the command\'s)', function () {
    const a = parseRunArgs(['--network=host', '-eA=1', '-p8080:80/udp', '--read-only', '--init=false', 'img', 'sh', '-c', 'echo -d']);
    assert.equal(a.network, 'host');
    assert.deepEqual(a.env, [['A', '1']]);
    assert.equal(a.publish[0]?.protocol, 'udp');
    assert.equal(a.readOnly, true);
    assert.equal(a.init, false);
    assert.deepEqual(a.command, ['sh', '-c', 'echo -d']);
    assert.equal(a.detach, false);
  });

  it('expands port ranges, host IPs (IPv6 too) and random host ports', function () {
    assert.deepEqual(parsePublish('127.0.0.1:8000-8001:80-81').map((p) => [p.hostIp, p.hostPort, p.containerPort]), [['127.0.0.1', 8000, 80], ['127.0.0.1', 8001, 81]]);
    assert.deepEqual(parsePublish('[::1]:8080:80')[0], { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    assert.equal(parsePublish('80')[0]?.hostPort, 0);
    usageError(() => parsePublish('8000-8002:80-81'), /ranges differ in length/);
    usageError(() => parsePublish('70000:80'), /host port 70000 is out of range \(1-65535\)/);
    usageError(() => parsePublish('80/sctp'), /publishes tcp and udp ports, not sctp/);
  });

  it('tells bind mounts, named and anonymous volumes apart, and checks options', function () {
    assert.deepEqual(parseVolume('data:/var/lib/x:ro'), { kind: 'named', name: 'data', target: '/var/lib/x', options: ['ro'] });
    assert.deepEqual(parseVolume('/cache'), { kind: 'anonymous', target: '/cache' });
    assert.equal(parseVolume('./rel:/x').kind, 'bind');
    usageError(() => parseVolume('/a:/b:bogus'), /unknown volume option "bogus"/);
    usageError(() => parseVolume('/a:/b:nocopy'), /option "nocopy" is not supported by podgen's runtime/);
    usageError(() => parseVolume('/a:relative'), /destination "relative" in "\/a:relative" is not an absolute path/);
  });

  it('refuses what podgen cannot honour, by name, with what to do instead', function () {
    usageError(() => parseRunArgs(['--security-opt', 'label=disable', 'img']), /--security-opt label=disable is not supported by podgen's runtime: it takes seccomp=/);
    usageError(() => parseRunArgs(['--security-opt', 'seccomp=profile.json', 'img']), /"profile.json" is not a seccomp profile; write unconfined, or the absolute path/);
    usageError(() => parseRunArgs(['--security-opt', 'unmask=proc/kcore', 'img']), /"proc\/kcore" in "proc\/kcore" is not an absolute path/);
    usageError(() => parseRunArgs(['--security-opt', 'no-new-privileges=maybe', 'img']), /no-new-privileges takes true or false/);
    usageError(() => parseRunArgs(['--network', 'container:db', 'img']), /not supported/);
    usageError(() => parseRunArgs(['--frobnicate', 'img']), /unknown flag --frobnicate/);
    usageError(() => parseRunArgs(['-dx', 'img']), /unknown flag -x in -dx/);
    usageError(() => parseRunArgs(['--name']), /--name needs a value/);
    usageError(() => parseRunArgs(['-d']), /no image given/);
    usageError(() => parseRunArgs(['-m', 'lots', 'img']), /-m: "lots" is not a size/);
  });

  it('reads docker sizes through the one size parser', function () {
    assert.equal(parseRunArgs(['-m', '512m', 'img']).memory, 512 * 1024 * 1024);
    assert.equal(parseRunArgs(['--shm-size', '1g', 'img']).shmSize, 1024 ** 3);
    assert.deepEqual(parseSize('1024'), { ok: true, value: 1024 });
  });
});

describe('runtime: OCI config', function () {
  const image: ImageConfig = { Entrypoint: ['/entry'], Cmd: ['serve'], Env: ['PATH=/bin', 'A=image'], WorkingDir: '/app' };

  it("follows docker's entrypoint/cmd rules", function () {
    assert.deepEqual(processArgs(parseRunArgs(['img']), image), ['/entry', 'serve']);
    assert.deepEqual(processArgs(parseRunArgs(['img', 'other']), image), ['/entry', 'other']);
    assert.deepEqual(processArgs(parseRunArgs(['--entrypoint', '/bin/sh', 'img']), image), ['/bin/sh'], 'a new entrypoint drops the image Cmd');
    assert.deepEqual(processArgs(parseRunArgs(['--entrypoint=', 'img', 'ls']), image), ['ls']);
    assert.deepEqual(processArgs(parseRunArgs(['--entrypoint', '["/a","b"]', 'img']), image), ['/a', 'b']);
    usageError(() => processArgs(parseRunArgs(['img']), {}), /has no command to run/);
  });

  it('orders the environment: image, files, -e (last wins); HOSTNAME and container are set', function () {
    const env = processEnv(parseRunArgs(['-e', 'A=flag', 'img']), image, { ...ctx, fileEnv: [['A', 'file'], ['B', 'file']] }, 'h');
    assert.deepEqual(env, ['PATH=/bin', 'A=flag', 'B=file', 'HOSTNAME=h', 'container=podgen']);
  });

  it("applies docker's capability rules: default set, add, drop, ALL", function () {
    assert.deepEqual(capabilities([], []), DEFAULT_CAPS);
    assert.deepEqual(capabilities(['all'], []).length, 41);
    assert.deepEqual(capabilities(['NET_ADMIN'], ['all']), ['CAP_NET_ADMIN']);
    assert.ok(!capabilities([], ['chown']).includes('CAP_CHOWN'));
    usageError(() => capabilities(['CAP_MAGIC'], []), /"CAP_MAGIC" is not a capability/);
  });

  it('builds a spec runc accepts: namespaces by network mode, mounts, limits only when asked', function () {
    const host = ociSpec(parseRunArgs(['--network', 'host', '-m', '64m', 'img']), image, ctx) as { linux: { namespaces: Array<{ type: string }>; resources: Record<string, unknown> }; process: { cwd: string } };
    assert.ok(!host.linux.namespaces.some((n) => n.type === 'network'), 'host network: no network namespace');
    assert.equal(host.linux.resources.memory, undefined, 'units carry limits as systemd settings');
    assert.equal(host.process.cwd, '/app');
    const fg = ociSpec(parseRunArgs(['-m', '64m', '--pids-limit', '10', '--cpus', '1.5', 'img']), image, { ...ctx, applyLimits: true, netnsPath: '/run/netns/x' }) as { linux: { namespaces: Array<{ type: string; path?: string }>; resources: Record<string, unknown> } };
    assert.deepEqual(fg.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
    assert.deepEqual(fg.linux.resources.memory, { limit: 64 * 1024 * 1024 });
    assert.deepEqual(fg.linux.resources.pids, { limit: 10 });
    assert.deepEqual(fg.linux.resources.cpu, { quota: 150000, period: 100000 });
    const ro = ociSpec(parseRunArgs(['--read-only', '--tmpfs', '/cache:size=1m', 'img']), image, ctx) as { root: { readonly: boolean }; mounts: Array<{ destination: string; options?: string[] }> };
    assert.equal(ro.root.readonly, true);
    assert.deepEqual(ro.mounts.filter((m) => ['/tmp', '/var/tmp', '/run', '/cache'].includes(m.destination)).map((m) => m.destination), ['/tmp', '/var/tmp', '/run', '/cache']);
    usageError(() => parseRunArgs(['--ulimit', 'bogus=1', 'img']), /--ulimit: "bogus" in "bogus=1" is not a limit/);
  });
});
