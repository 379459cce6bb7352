// podgen import compose: realistic compose files import (and generate, with
// both engines); every kind of bad file is a precise error at
// file:line:column and nothing is written.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { machineContext } from '../../src/commands/generate';
import { importCompose, writeComposeDefinitions } from '../../src/commands/importCompose';
import { PodgenError } from '../../src/errors';
import { interpolate } from '../../src/import/composeInterpolate';
import { REPO_ROOT } from '../support/cli';
import { withTempDir } from '../support/tempDir';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'compose');
const ctx = machineContext(false, { ...process.env, PODGEN_NO_VERIFY: '1' });
const env = { HOME: '/root' };

function load(name: string, extra: { engine?: 'podgen' | 'podman'; profiles?: string[]; skip?: boolean; project?: string } = {}): ReturnType<typeof importCompose> {
  return importCompose({ file: path.join(FIXTURES, name, 'compose.yaml'), project: extra.project, engine: extra.engine ?? 'podgen', ctx, env, cwd: FIXTURES, profiles: extra.profiles ?? [], skipUnsupported: extra.skip ?? false });
}
const text = (r: ReturnType<typeof importCompose>, file: string): string => {
  const f = r.files.find((x) => x.fileName === file);
  assert.ok(f, `${file} among ${r.files.map((x) => x.fileName).join(', ')}`);
  return f.text;
};

describe('podgen import compose', function () {
  this.timeout(120_000);
  let dir = '';
  withTempDir('podgen-compose-test-', (d) => (dir = d), 'all');

  /** A compose file of our own in a fresh directory; the import's error, which must say where. */
  function refused(yaml: string, files: Record<string, string> = {}): PodgenError {
    const d = fs.mkdtempSync(path.join(dir, 'bad-'));
    fs.writeFileSync(path.join(d, 'compose.yaml'), yaml);
    for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(d, n), t);
    const out = path.join(d, 'out');
    try {
      const r = importCompose({ file: undefined, project: undefined, engine: 'podgen', ctx, env, cwd: d, profiles: [], skipUnsupported: false });
      writeComposeDefinitions(r.files, out, { force: false, replace: false });
    } catch (e) {
      assert.ok(e instanceof PodgenError, String(e));
      assert.equal(fs.existsSync(out), false, 'nothing written');
      return e;
    }
    assert.fail('the import was expected to fail');
  }
  const where = (e: PodgenError): string[] => (e.data.diagnostics ?? []).map((d) => `${path.basename(d.file)}:${d.line}:${d.column}: ${d.message}`);

  it('12 realistic files import and generate, with both engines', function () {
    const names = fs.readdirSync(FIXTURES).sort();
    assert.ok(names.length >= 10, names.join(' '));
    for (const n of names) {
      for (const engine of ['podgen', 'podman'] as const) {
        const r = load(n, { engine });
        assert.ok(r.files.length >= 2, `${n}: ${r.files.length} definitions`);
        for (const f of r.files) assert.match(f.text, /^\[X-Podgen\]\nOrigin=compose\nProject=/m, `${n}/${f.fileName}`);
      }
    }
  });

  it('web + database: one definition per service, named volumes, depends_on ordering, restart policies', function () {
    const r = load('wordpress');
    assert.deepEqual(r.files.map((f) => f.fileName).sort(), ['wordpress-db.container', 'wordpress-db_data.volume', 'wordpress-default.network', 'wordpress-wordpress.container', 'wordpress-wp_content.volume']);
    const wp = text(r, 'wordpress-wordpress.container');
    assert.match(wp, /^Requires=wordpress-db\.service$/m);
    assert.match(wp, /^After=wordpress-db\.service$/m);
    assert.match(wp, /^Volume=wordpress-wp_content\.volume:\/var\/www\/html\/wp-content$/m);
    assert.match(wp, /^RestartPolicy=always$/m);
    assert.match(wp, /^Network=wordpress-default\.network$/m);
    assert.match(wp, /^NetworkAlias=wordpress$/m);
    assert.match(text(r, 'wordpress-db_data.volume'), /^VolumeName=wordpress_db_data$/m);
  });

  it('reverse proxy + apps: the project name from name:, networks with aliases, internal networks, labels (list and map), a string command split as a shell would', function () {
    const r = load('proxy');
    assert.equal(r.project, 'edge');
    const app1 = text(r, 'edge-app1.container');
    assert.match(app1, /^Network=edge-front\.network$/m);
    assert.match(app1, /^Network=edge-back\.network$/m);
    assert.match(app1, /^NetworkAlias=one\.internal$/m);
    assert.match(app1, /^Label=com\.example\.team=alpha$/m);
    assert.match(app1, /^RestartPolicy=on-failure:5$/m);
    assert.match(text(r, 'edge-app2.container'), /^Label=com\.example\.team=beta$/m);
    assert.match(text(r, 'edge-back.network'), /^Internal=true$/m);
    assert.match(text(r, 'edge-cache.container'), /^Exec=redis-server --save "" --appendonly no$/m);
    assert.equal(load('proxy', { project: 'Other Name!' }).project, 'othername');
  });

  it('healthchecks and depends_on conditions: service_healthy makes the dependency ready only when healthy', function () {
    const r = load('healthy');
    const pg = text(r, 'healthy-postgres.container');
    assert.match(pg, /^HealthCmd=\["CMD","pg_isready","-U","postgres"\]$/m);
    assert.match(pg, /^Notify=healthy$/m);
    assert.doesNotMatch(text(r, 'healthy-redis.container'), /^Notify=/m);
    assert.match(text(r, 'healthy-redis.container'), /^HealthCmd=none$/m);
    const api = text(r, 'healthy-api.container');
    assert.match(api, /^HealthCmd=\["CMD-SHELL","curl -fsS http:\/\/localhost:3000\/health \|\| exit 1"\]$/m);
    assert.match(api, /^HealthStartPeriod=20s$/m);
    assert.match(api, /^Image=registry\.example\.com\/api:latest$/m, '${API_TAG:-latest}');
  });

  it('env files and interpolation: .env, defaults, required variables, $$, variables from the environment', function () {
    const r = load('envfiles');
    const app = text(r, 'envfiles-app.container');
    assert.match(app, /^Image=docker\.io\/library\/busybox:1\.36$/m, 'TAG from .env');
    assert.match(app, /^PublishPort=9090:8080$/m, 'PORT from .env wins over the default');
    assert.match(app, /^Environment="GREETING=hello \$\$\{NOT_INTERPOLATED\}"$/m, '$$ is a literal $');
    assert.match(app, new RegExp(`^EnvironmentFile=${path.join(FIXTURES, 'envfiles', 'common.env').replace(/[/.]/g, '\\$&')}$`, 'm'));
    assert.equal(interpolate('${A:-x}${B-y}${C:+z}${D+w}$E$$', { A: '', B: '', C: 'c', E: 'e' }).ok && (interpolate('${A:-x}${B-y}${C:+z}${D+w}$E$$', { A: '', B: '', C: 'c', E: 'e' }) as { value: string }).value, 'xze$');
    assert.deepEqual(interpolate('${X:-${Y:-deep}}', {}), { ok: true, value: 'deep' });
    const e = refused('services:\n  a:\n    image: "busybox:${TAG:?TAG must be set}"\n');
    assert.deepEqual(where(e), ['compose.yaml:3:12: TAG is required: TAG must be set (${TAG:?TAG must be set})']);
  });

  it('long syntax of ports and volumes, user, init, container_name; read_only, tmpfs, ulimits; network_mode host; entrypoint as a string and a list', function () {
    const g = text(load('gitea'), 'gitea-server.container');
    assert.match(g, /^ContainerName=gitea$/m);
    assert.match(g, /^PublishPort=3000:3000\/tcp$/m);
    assert.match(g, /^PublishPort=0\.0\.0\.0:2222:22$/m);
    assert.match(g, /^Volume=gitea-gitea\.volume:\/data$/m);
    assert.match(g, /^Volume=\/etc\/timezone:\/etc\/timezone:ro$/m);
    assert.match(g, /^RunInit=true$/m);
    assert.match(text(load('gitea'), 'gitea-db.container'), /^User=999\n^Group=999$/m);
    const m = load('monitoring');
    const prom = text(m, 'monitoring-prometheus.container');
    assert.match(prom, /^ReadOnly=true$/m);
    assert.match(prom, /^Tmpfs=\/tmp$/m);
    assert.match(prom, /^Ulimit=nofile=20000:40000$/m);
    assert.match(prom, /^Ulimit=nproc=65535$/m);
    assert.match(prom, /^Exec=--config\.file=\/etc\/prometheus\/prometheus\.yml --storage\.tsdb\.retention\.time=15d$/m);
    assert.match(text(m, 'monitoring-node-exporter.container'), /^Network=host$/m);
    assert.doesNotMatch(text(m, 'monitoring-node-exporter.container'), /^NetworkAlias=/m);
    const w = load('worker');
    const worker = text(w, 'worker-worker.container');
    assert.match(worker, /^Entrypoint=\/usr\/local\/bin\/python$/m);
    assert.match(worker, /^Exec=-u -m worker --queue default$/m);
    assert.match(worker, /^StopSignal=SIGINT$/m);
    assert.match(worker, /^StopTimeout=90$/m);
    assert.match(worker, /^AddHost=queue\.internal:10\.0\.0\.5$/m);
    assert.match(worker, /^Sysctl=net\.core\.somaxconn=1024$/m);
    assert.match(text(w, 'worker-scheduler.container'), /^NoNewPrivileges=true$/m);
    assert.match(text(w, 'worker-scheduler.container'), /^Entrypoint=python\nExec=-m scheduler$/m);
  });

  it('profiles: a profiled service is left out unless its profile is enabled; x- extensions are ignored', function () {
    const off = load('profiles');
    assert.deepEqual(off.inactive, ['debug']);
    assert.equal(off.files.some((f) => f.fileName.includes('debug')), false);
    const on = load('profiles', { profiles: ['debug'] });
    assert.match(text(on, 'profiles-debug.container'), /^Requires=profiles-web\.service$/m);
  });

  it('restart, deploy.restart_policy and resources map exactly: on-failure + max_attempts, any, none, limits', function () {
    const r = load('limits');
    assert.match(text(r, 'limits-batch.container'), /^RestartPolicy=on-failure:3$/m);
    assert.match(text(r, 'limits-service.container'), /^RestartPolicy=always$/m);
    assert.match(text(r, 'limits-service.container'), /^Memory=1G\nCPUs=2$/m);
    assert.match(text(r, 'limits-once.container'), /^RestartPolicy=no$/m);
    const ipam = load('ipam');
    assert.match(text(ipam, 'ipam-infra.network'), /^Subnet=172\.28\.0\.0\/16\nGateway=172\.28\.0\.1\nIPRange=172\.28\.5\.0\/24\nLabel=purpose=infrastructure$/m);
    assert.match(text(ipam, 'ipam-dns.container'), /^IP=172\.28\.5\.53$/m);
  });

  it('malformed YAML, schema violations, unknown and cyclic depends_on: precise errors, nothing written', function () {
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n   ports: [80]\n')), ['compose.yaml:4:1: All mapping items must start at the same column']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    image: x\n')), ['compose.yaml:4:5: Map keys must be unique']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    portz: ["80:80"]\n')), ['compose.yaml:4:5: services.web: "portz" is not a field here (the Compose Specification\'s schema)']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    restart: 5\n')), ['compose.yaml:4:14: services.web.restart must be string']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    ports: ["99999:80"]\n')).map((l) => l.replace(/: .*/, '')), ['compose.yaml:4:13']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    depends_on: [db]\n')), ['compose.yaml:4:5: service "web" depends on "db", which is not a service of this file']);
    const cyc = where(refused('services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n'));
    assert.deepEqual(cyc, ['compose.yaml:4:5: depends_on forms a cycle: a -> b -> c -> a']);
    assert.deepEqual(where(refused('services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_healthy}\n  b:\n    image: y\n')), ['compose.yaml:5:7: service "a" waits for "b" to be healthy, but "b" has no healthcheck']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    volumes: ["data:/x"]\n')), ['compose.yaml:4:15: volume "data" is not declared under the top-level volumes:']);
    assert.deepEqual(where(refused('services:\n  web:\n    image: nginx\n    networks: [nope]\n')), ['compose.yaml:4:15: service "web" is on network "nope", which the file does not declare under networks:']);
  });

  it('fields podgen cannot honour are reported with file:line:column and the service; --skip-unsupported writes the rest, saying what it left out', function () {
    const yaml = 'services:\n  app:\n    build: .\n    image: me/app:1\n    ipc: host\n    ports: ["8080:80"]\n    deploy:\n      restart_policy:\n        condition: on-failure\n        delay: 5s\n';
    const e = refused(yaml);
    assert.deepEqual(where(e), [
      'compose.yaml:5:5: service "app": ipc is not something podgen can express in a unit',
      'compose.yaml:3:5: service "app": build: podgen runs images, it does not build them',
      'compose.yaml:10:9: service "app": restart_policy delay 5s: podgen restarts with Docker\'s back-off (100 ms doubling), which a fixed delay would not mean',
    ]);
    const d = fs.mkdtempSync(path.join(dir, 'skip-'));
    fs.writeFileSync(path.join(d, 'compose.yaml'), yaml);
    const r = importCompose({ file: undefined, project: undefined, engine: 'podgen', ctx, env, cwd: d, profiles: [], skipUnsupported: true });
    assert.equal(r.warnings.length, 3);
    assert.ok(r.warnings.every((w) => w.message.endsWith('(left out: --skip-unsupported)')));
    assert.match(text(r, `${path.basename(d).toLowerCase()}-app.container`), /^PublishPort=8080:80$/m);
  });
});
