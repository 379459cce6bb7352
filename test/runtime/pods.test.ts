// Pods and .image units with the podgen engine, for real in the sandbox: a
// pod's containers share one network namespace (localhost, the pod's
// published port) with no infra process; stopping the pod stops them and
// leaves no namespace; a port the pod publishes cannot be published again;
// an .image unit pulls into podgen's store before its container starts.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { pushImage } from '../support/images';
import { freePort } from '../support/ports';
import { runtimeImage } from '../support/runtimeImage';
import { TestRegistry } from '../support/registry';
import { hostSideEnv, useSandbox } from '../support/sandbox';

describe('podgen engine: pods and images (sandbox)', function () {
  this.timeout(300_000);
  const env = useSandbox('podgen-pod-');
  let reg: TestRegistry;
  let defs: string;
  let image: string;
  let www: string;
  const run = (args: string[]) => podgen(args, { cwd: defs, env: hostSideEnv(env.sb, defs) });
  const inside = (args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args], 120_000);
  const write = (file: string, body: string): void => fs.writeFileSync(path.join(defs, file), body);
  const show = (unit: string, prop: string): string => env.sb.execOk(['systemctl', 'show', '-p', prop, '--value', unit]).trim();
  const curl = (port: number): string => spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`], { encoding: 'utf8' }).stdout;

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/pod', '1', runtimeImage());
    image = `${reg.address}/test/pod:1`;
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
    www = path.join(env.staging, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'from the pod\n');
  });
  after(function () {
    reg?.stop();
  });

  it('a pod of two containers: they talk over localhost, the pod publishes one port, no infra process runs; stopping the pod stops them and leaves no namespace', async function () {
    const port = await freePort();
    write('app.pod', `[Pod]\nPublishPort=127.0.0.1:${port}:80\n`);
    write('web.container', `[Container]\nImage=${image}\nPod=app.pod\nExec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nStopTimeout=1\n`);
    write('side.container', `[Container]\nImage=${image}\nPod=app.pod\nExec=/bin/busybox sleep 600\nStopTimeout=1\n`);
    const up = run(['up', 'web', 'side']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      assert.equal(curl(port), 'from the pod\n', "the pod's published port reaches web");
      const local = inside(['exec', 'side', '/bin/busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1/']);
      assert.equal(local.stdout, 'from the pod\n', 'side reaches web over localhost');
      // No infra process: the pod's unit has done its work and holds nothing.
      assert.equal(show('app-pod.service', 'ActiveState'), 'active');
      assert.equal(show('app-pod.service', 'MainPID'), '0');
      assert.equal(env.sb.exec(['sh', '-c', 'cat /sys/fs/cgroup/system.slice/app-pod.service/cgroup.procs 2>/dev/null | wc -l']).stdout.trim(), '0');
      const ps = JSON.parse(inside(['pod', 'ps', '--json']).stdout) as Array<{ name: string; ports: string[]; containers: Array<{ name: string; running: boolean }> }>;
      const pod = ps.find((p) => p.name === 'systemd-app');
      assert.deepEqual(pod?.containers.map((c) => `${c.name}:${c.running}`).sort(), ['side:true', 'web:true']);
      assert.deepEqual(pod?.ports, [`127.0.0.1:${port}->80/tcp`]);
      // The members are containers like any other: podgen ps lists them as a pod's.
      const rows = JSON.parse(inside(['ps', '--format', 'json']).stdout) as Array<{ name: string; origin: string; pod?: string }>;
      assert.deepEqual(rows.filter((r) => r.pod === 'app.pod').map((r) => `${r.name}:${r.origin}`).sort(), ['side:pod', 'web:pod']);
      // A container of its own cannot publish the pod's port again.
      write('clash.container', `[Container]\nImage=${image}\nPublishPort=127.0.0.1:${port}:80\nExec=/bin/busybox sleep 600\n`);
      const clash = run(['up', 'clash']);
      assert.notEqual(clash.status, 0);
      assert.match(`${clash.stdout}${clash.stderr}`, new RegExp(`port 127\\.0\\.0\\.1:${port}/tcp is already published by pod systemd-app`));
      run(['down', 'clash']);
      // A container in a pod may not bring ports of its own: refused at generate, at its line.
      write('bad.container', `[Container]\nImage=${image}\nPod=app.pod\nPublishPort=8080:80\n`);
      const bad = run(['generate', 'bad']);
      assert.equal(bad.status, 65);
      assert.match(bad.stderr, /bad\.container:4: PublishPort= on a container in a pod/);
      env.sb.execOk(['systemctl', 'stop', 'app-pod.service']);
      assert.equal(show('web.service', 'ActiveState'), 'inactive', 'BindsTo= stopped the members');
      assert.equal(show('side.service', 'ActiveState'), 'inactive');
      assert.doesNotMatch(env.sb.exec(['ip', 'netns', 'list']).stdout, /podgen-pod-systemd-app/);
      assert.equal(curl(port), '', 'nothing answers on the port any more');
    } finally {
      run(['down', 'web', 'side', 'app.pod']);
    }
  });

  it('an .image unit pulls into podgen\'s store before its container starts', function () {
    write('base.image', `[Image]\nImage=${image}\n`);
    write('fromimg.container', `[Container]\nImage=base.image\nNetwork=none\nExec=/bin/busybox sleep 600\nStopTimeout=1\n`);
    inside(['rmi', '--force', image]);
    const up = run(['up', 'fromimg']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      assert.equal(show('base-image.service', 'ActiveState'), 'active');
      assert.equal(show('fromimg.service', 'ActiveState'), 'active');
      assert.match(inside(['images']).stdout, new RegExp(image.replace(/[.:/]/g, '\\$&')));
      const pulled = Number(show('base-image.service', 'ExecMainExitTimestampMonotonic'));
      const started = Number(show('fromimg.service', 'ExecMainStartTimestampMonotonic'));
      assert.ok(pulled > 0 && started > pulled, `the pull (${pulled}) ended before the container started (${started})`);
    } finally {
      run(['down', 'fromimg', 'base.image']);
    }
  });

  it('a sandbox reboot brings a named network, a volume and a pod back with their containers (enabled ones), isolation included', async function () {
    const port = await freePort();
    write('keep.network', '[Network]\nSubnet=10.91.50.0/24\n');
    write('keep.volume', '[Volume]\n');
    write('keeppod.pod', `[Pod]\nPublishPort=127.0.0.1:${port}:80\n`);
    const httpd = `Exec=/bin/busybox httpd -f -p 80 -h /data\nStopTimeout=1\n\n[Install]\nWantedBy=multi-user.target\n`;
    write('netc.container', `[Container]\nImage=${image}\nNetwork=keep.network\nIP=10.91.50.10\nVolume=keep.volume:/data\n${httpd}`);
    write('podc.container', `[Container]\nImage=${image}\nPod=keeppod.pod\nVolume=keep.volume:/data\n${httpd}`);
    const up = run(['up', 'netc', 'podc']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      assert.equal(inside(['exec', 'netc', '/bin/busybox', 'sh', '-c', 'echo survived > /data/index.html']).status, 0);
      env.sb.reboot();
      const until = Date.now() + 60_000;
      while (Date.now() < until && curl(port) !== 'survived\n') await new Promise((r) => setTimeout(r, 300));
      assert.equal(curl(port), 'survived\n', 'the pod serves the volume again after the reboot');
      const direct = spawnSync('curl', ['-s', '-m', '5', 'http://10.91.50.10/'], { encoding: 'utf8' }).stdout;
      assert.equal(direct, 'survived\n', 'the container on the named network is back with its address');
      assert.match(env.sb.execOk(['iptables', '-S', 'FORWARD', '1']), /-j PODGEN-ISOLATION/, 'isolation is back, first in FORWARD');
    } finally {
      run(['down', 'netc', 'podc', 'keeppod.pod', 'keep.network', 'keep.volume']);
      inside(['volume', 'rm', 'systemd-keep']);
    }
  });
});
