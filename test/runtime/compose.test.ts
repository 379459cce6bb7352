// podgen up -f compose.yaml with real containers (sandbox): a stack of a
// backend with a named volume and a health check, and a web front that waits
// for it to be healthy, reaches it by its service name and publishes a port;
// it comes back after a reboot with no podgen running, and down -f takes it
// all away.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../support/ports';
import { until, useRestartHarness } from '../support/restartHarness';

describe('podgen up -f compose.yaml (sandbox)', function () {
  this.timeout(300_000);
  const env = useRestartHarness('podgen-compose-');
  const curl = (port: number): string => spawnSync('curl', ['-s', '-m', '3', `http://127.0.0.1:${port}/`], { encoding: 'utf8' }).stdout;

  it('a three-service stack comes up in dependency order, survives a reboot and comes down cleanly', async function () {
    const port = await freePort();
    const dir = path.join(env.staging, 'shop');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(path.join(dir, '.env'), `IMAGE=${env.h.image}\nWEB_PORT=${port}\n`);
    fs.writeFileSync(
      file,
      `name: shop
x-base: &base
  image: \${IMAGE}
  restart: always
  stop_grace_period: 1s
services:
  backend:
    <<: *base
    command: ["/bin/sh", "-c", "echo from-the-backend > /data/index.html; exec /bin/busybox httpd -f -p 8080 -h /data"]
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD", "/bin/busybox", "test", "-s", "/data/index.html"]
      interval: 1s
      retries: 3
  web:
    <<: *base
    depends_on:
      backend:
        condition: service_healthy
    command: ["/bin/sh", "-c", "mkdir -p /www; /bin/busybox wget -q -O /www/index.html http://backend:8080/ && exec /bin/busybox httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:\${WEB_PORT}:80"]
  tools:
    <<: *base
    profiles: [debug]
    command: ["/bin/busybox", "sleep", "600"]
volumes:
  data:
`,
    );
    const up = env.h.inside(['up', '-f', file]);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      await until(() => curl(port) === 'from-the-backend\n', 20_000, 'web to serve what it fetched from backend by name');
      const rows = JSON.parse(env.h.inside(['ps', '--format', 'json', '--filter', 'origin=compose']).stdout) as Array<{ name: string; origin: string }>;
      assert.deepEqual(rows.map((r) => r.name).sort(), ['shop-backend', 'shop-web'], 'the profiled service stays out');
      // web waited for backend to be healthy: its start came after backend became active.
      const t = (u: string): number => Number(env.h.sb.execOk(['systemctl', 'show', u, '--property=ActiveEnterTimestampMonotonic', '--value']).trim());
      assert.ok(t('shop-web.service') >= t('shop-backend.service'), 'web after backend was ready');
      // Again: nothing changed, nothing done.
      assert.match(env.h.inside(['up', '-f', file]).stdout, /nothing to do/);
      env.h.sb.reboot();
      await until(() => curl(port) === 'from-the-backend\n', 60_000, 'the stack back after the reboot');
      assert.match(env.h.inside(['ps']).stdout, /^shop-web +compose +running/m);
    } finally {
      const down = env.h.inside(['down', '-f', file]);
      assert.equal(down.status, 0, `${down.stdout}${down.stderr}`);
    }
    assert.equal(curl(port), '');
    assert.deepEqual(JSON.parse(env.h.inside(['ps', '-a', '--format', 'json', '--filter', 'origin=compose']).stdout), []);
    assert.equal(env.h.sb.exec(['test', '-e', '/var/lib/podgen/compose/shop']).status, 1, 'the imported definitions are gone');
    assert.doesNotMatch(env.h.inside(['network', 'ls']).stdout, /shop_default/, 'its network is gone');
    assert.match(env.h.inside(['volume', 'ls']).stdout, /shop_data/, 'its volume stays, as docker compose down keeps volumes');
    env.h.inside(['volume', 'rm', 'shop_data']);
  });

  it('a bad compose file: up -f says where, and nothing is installed', function () {
    const dir = path.join(env.staging, 'bad');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  a:\n    image: ${env.h.image}\n    depends_on: [ghost]\n`);
    const r = env.h.inside(['up', '-f', path.join(dir, 'compose.yaml')]);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /compose\.yaml:4:5: service "a" depends on "ghost", which is not a service of this file/);
    assert.equal(env.h.sb.exec(['test', '-e', '/etc/systemd/system/bad-a.service']).status, 1);
  });
});
