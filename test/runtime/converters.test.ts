// Converters with real containers (sandbox): the two docker run lines of the
// issue, imported and run by the podgen engine, answer on their published
// port with their env; a podgen container exported to Kubernetes YAML serves
// the same answer under `podman kube play`.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../support/ports';
import { until, useRestartHarness } from '../support/restartHarness';

describe('converters with real containers (sandbox)', function () {
  this.timeout(300_000);
  const env = useRestartHarness('podgen-convert-');
  const curl = (port: number, file = ''): string => spawnSync('curl', ['-s', '-m', '3', `http://127.0.0.1:${port}/${file}`], { encoding: 'utf8' }).stdout;
  const ok = (args: string[]): string => {
    const r = env.h.inside(args);
    assert.equal(r.status, 0, `podgen ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  it('the issue\'s two run lines, imported: the containers run with the same image, command, env, ports, volumes and name', async function () {
    const out = path.join(env.staging, 'imported');
    const data = path.join(env.staging, 'data');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'from-the-volume.txt'), 'bind volume\n');
    const p1 = await freePort();
    const p2 = await freePort();
    // The lines, with this sandbox's image and a command that shows what the container got (no internet here).
    const nginx = `podman run -dt -p ${p1}:80 --name nginx -v ${data}:/data -e NGINX_VERSION=1.16 ${env.h.image} /bin/sh -c 'env > /data/env.txt; exec /bin/busybox httpd -f -p 80 -h /data'`;
    const httpd = `podman run -dt -p ${p2}:8080/tcp -e HTTPD_VAR_RUN=/var/run/httpd -e HTTPD_MAIN_CONF_D_PATH=/etc/httpd/conf.d -e HTTPD_MAIN_CONF_PATH=/etc/httpd/conf -e HTTPD_CONTAINER_SCRIPTS_PATH=/usr/share/container-scripts/httpd/ ${env.h.image} /bin/sh -c 'mkdir -p /www; env > /www/env.txt; exec /bin/busybox httpd -f -p 8080 -h /www'`;
    ok(['import', 'run', '--output', out, nginx]);
    ok(['import', 'run', '--output', out, httpd]);
    // Written inside the sandbox (its overlay of /): read there.
    assert.deepEqual(env.h.sb.execOk(['ls', out]).trim().split('\n').sort(), ['nginx.container', 'restart.container']);
    ok(['up', path.join(out, 'nginx.container'), path.join(out, 'restart.container')]);
    try {
      await until(() => /^NGINX_VERSION=1\.16$/m.test(curl(p1, 'env.txt')), 15_000, 'nginx with its env');
      assert.equal(curl(p1, 'from-the-volume.txt'), 'bind volume\n', 'the -v volume');
      assert.match(env.h.sb.execOk(['cat', path.join(data, 'env.txt')]), /^HOSTNAME=nginx$/m, 'the --name, and the volume written through');
      assert.ok(JSON.parse(ok(['ps', '--format', 'json'])).some((r: { name: string }) => r.name === 'nginx'));
      await until(() => curl(p2, 'env.txt') !== '', 15_000, 'httpd with its env');
      const got = curl(p2, 'env.txt');
      for (const line of ['HTTPD_VAR_RUN=/var/run/httpd', 'HTTPD_MAIN_CONF_D_PATH=/etc/httpd/conf.d', 'HTTPD_MAIN_CONF_PATH=/etc/httpd/conf', 'HTTPD_CONTAINER_SCRIPTS_PATH=/usr/share/container-scripts/httpd/']) {
        assert.match(got, new RegExp(`^${line.replace(/[/.]/g, '\\$&')}$`, 'm'));
      }
    } finally {
      env.h.inside(['down', path.join(out, 'nginx.container'), path.join(out, 'restart.container')]);
    }
  });

  it('a podgen container exported as Kubernetes YAML: podman kube play of it serves the same HTTP answer as the podgen unit', async function () {
    const port = await freePort();
    const www = path.join(env.staging, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), 'the same answer\n');
    const def = path.join(env.h.defs, 'kweb.container');
    fs.writeFileSync(def, `[Container]\nImage=${env.h.image}\nPublishPort=127.0.0.1:${port}:80\nVolume=${www}:/srv:ro\nEnvironment=GREETING=hello\nExec=/bin/sh -c "echo $$GREETING > /greeting; exec /bin/busybox httpd -f -p 80 -h /srv"\nRestartPolicy=always\n`);
    ok(['up', def]);
    let fromPodgen = '';
    try {
      await until(() => curl(port) !== '', 10_000, 'the podgen unit');
      fromPodgen = curl(port);
      assert.equal(fromPodgen, 'the same answer\n');
    } finally {
      ok(['down', def]);
    }
    const yaml = ok(['export', 'kube', def]);
    assert.match(yaml, /^kind: Deployment$/m);
    env.h.sb.execOk(['sh', '-c', `cat > /tmp/kweb.yaml <<'YAML'\n${yaml}YAML`]);
    const podman = ['podman', '--storage-driver', 'vfs', '--runtime', 'runc'];
    const play = env.h.sb.exec([...podman, 'kube', 'play', '--tls-verify=false', '/tmp/kweb.yaml'], 240_000);
    assert.equal(play.status, 0, play.stderr);
    try {
      await until(() => curl(port) !== '', 20_000, 'the pod podman kube play started');
      assert.equal(curl(port), fromPodgen);
      const inspect = env.h.sb.exec([...podman, 'inspect', 'kweb-pod-0-kweb', '--format', '{{json .Config.Cmd}} {{json .Config.Entrypoint}} {{json .Config.Env}}']).stdout;
      assert.equal(env.h.sb.exec([...podman, 'exec', 'kweb-pod-0-kweb', '/bin/busybox', 'cat', '/greeting']).stdout, 'hello\n', `the env came along: ${inspect}`);
    } finally {
      env.h.sb.exec([...podman, 'kube', 'down', '/tmp/kweb.yaml']);
    }
  });
});
