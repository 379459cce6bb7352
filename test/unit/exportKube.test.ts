// podgen export kube: containers as Kubernetes objects, every one checked here
// against the Kubernetes API schema (kubernetes-models), with the restart
// policy, ports, volumes, probes, limits and security settings carried over
// and what Kubernetes cannot say written as a comment.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { exportKube } from '../../src/commands/exportKube';
import { machineContext } from '../../src/commands/generate';
import { defaultSearchEnv } from '../../src/resolve/searchPaths';

const ctx = machineContext(false, { ...process.env, PODGEN_NO_VERIFY: '1' });
type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

/** Each document through the Kubernetes API schema; the parsed objects. */
function validated(yaml: string): Obj[] {
  return parseAllDocuments(yaml).map((d) => {
    const o = d.toJS() as Obj;
    const model = { Deployment, Pod, Service, PersistentVolumeClaim }[o.kind as 'Pod'];
    assert.ok(model, o.kind);
    new model(o as never).validate();
    return o;
  });
}

describe('podgen export kube', function () {
  let dir = '';
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-kube-'));
    fs.writeFileSync(path.join(dir, 'data.volume'), '[Volume]\nVolumeName=shopdata\n');
    const def = (name: string, body: string): void => fs.writeFileSync(path.join(dir, `${name}.container`), `[Container]\nImage=docker.io/library/nginx:1.25\n${body}`);
    def('web', 'PublishPort=8080:80\nPublishPort=127.0.0.1:8443:443/tcp\nVolume=data.volume:/usr/share/nginx/html:ro\nVolume=/srv/conf:/etc/nginx/conf.d\nTmpfs=/var/cache/nginx\nEnvironment=A=1 B=two\nHealthCmd=curl -f http://localhost/\nHealthInterval=10s\nHealthRetries=4\nHealthOnFailure=restart\nMemory=512m\nCPUs=1.5\nUser=101\nGroup=101\nReadOnly=true\nDropCapability=ALL\nAddCapability=NET_BIND_SERVICE\nRestartPolicy=always\nExec=nginx -g "daemon off;"\nEntrypoint=/docker-entrypoint.sh\nWorkingDir=/usr/share/nginx\nStopTimeout=20\n');
    def('job', 'RestartPolicy=on-failure:3\nExec=run-once\n');
    def('kept', 'RestartPolicy=unless-stopped\nUser=nginx\n');
    def('plain', '');
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a restarting container is a Deployment with its ports (hostPort and a Service), volumes (PVC, hostPath, emptyDir), probe, limits, security and command; the objects pass the Kubernetes API schema', function () {
    const r = exportKube([path.join(dir, 'web.container')], { ...defaultSearchEnv(false), cwd: dir }, ctx);
    const objs = validated(r.yaml);
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), ['Deployment/web', 'Service/web', 'PersistentVolumeClaim/shopdata']);
    const pod = (objs[0]?.spec as { template: { spec: { restartPolicy: string; terminationGracePeriodSeconds: number; containers: Array<Record<string, unknown>>; volumes: Array<Record<string, unknown>> } } }).template.spec;
    assert.equal(pod.restartPolicy, 'Always');
    assert.equal(pod.terminationGracePeriodSeconds, 20);
    const c = pod.containers[0] as Record<string, unknown>;
    assert.deepEqual(c.command, ['/docker-entrypoint.sh']);
    assert.deepEqual(c.args, ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }]);
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP', hostPort: 8080 }, { containerPort: 443, protocol: 'TCP', hostPort: 8443, hostIP: '127.0.0.1' }]);
    assert.deepEqual(c.resources, { limits: { memory: String(512 * 1024 * 1024), cpu: '1.5' } });
    assert.deepEqual(c.securityContext, { readOnlyRootFilesystem: true, capabilities: { add: ['CAP_NET_BIND_SERVICE'], drop: ['ALL'] }, runAsUser: 101, runAsGroup: 101 });
    assert.deepEqual(c.livenessProbe, { exec: { command: ['/bin/sh', '-c', 'curl -f http://localhost/'] }, periodSeconds: 10, timeoutSeconds: 30, failureThreshold: 4 });
    assert.deepEqual(pod.volumes, [{ name: 'vol-0', persistentVolumeClaim: { claimName: 'shopdata' } }, { name: 'vol-1', hostPath: { path: '/srv/conf' } }, { name: 'tmpfs-0', emptyDir: { medium: 'Memory' } }]);
    assert.deepEqual((objs[1]?.spec as { ports: unknown[] }).ports, [{ name: 'p0-tcp', port: 8080, targetPort: 80, protocol: 'TCP' }, { name: 'p1-tcp', port: 8443, targetPort: 443, protocol: 'TCP' }]);
    assert.match(r.yaml, /^# the bind mount \/srv\/conf becomes a hostPath volume/m);
  });

  it('restart policies Kubernetes cannot say are a comment and a warning: on-failure:N, unless-stopped; no restart is a Pod that never restarts; a user name is left out', function () {
    const r = exportKube(['job', 'kept', 'plain'].map((n) => path.join(dir, `${n}.container`)), { ...defaultSearchEnv(false), cwd: dir }, ctx);
    const objs = validated(r.yaml);
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}/${(o.spec.restartPolicy as string | undefined) ?? 'deployment'}`), ['Pod/job/OnFailure', 'Deployment/kept/deployment', 'Pod/plain/Never']);
    assert.match(r.yaml, /^# on-failure:3: Kubernetes restarts on failure without a limit \(restartPolicy: OnFailure\)$/m);
    assert.match(r.yaml, /^# unless-stopped: a Deployment always runs its pod/m);
    assert.ok(r.warnings.some((w) => /^kept: User=nginx is a name/.test(w)), r.warnings.join('\n'));
  });

  it('the schema check has teeth: a broken object is refused by it', function () {
    const r = exportKube([path.join(dir, 'job.container')], { ...defaultSearchEnv(false), cwd: dir }, ctx);
    const broken = r.yaml.replace(/^  restartPolicy: OnFailure$/m, '  restartPolicy: 7');
    assert.notEqual(broken, r.yaml);
    assert.throws(() => validated(broken), /restartPolicy/);
  });
});
