// One CLI for every container (sandbox, real systemd and runc): podgen run -d
// containers and installed definitions' containers, listed, read, stopped,
// killed, waited for and removed by name, unit, ID prefix or --latest.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cli';
import { freePort } from '../support/ports';
import { until, useRestartHarness } from '../support/restartHarness';

interface Row {
  name: string;
  unit: string;
  origin: string;
  id?: string;
  created: string;
  status: string;
  restartCount: number;
  state: { Status: string; Running: boolean; ExitCode: number };
}

describe('one CLI for every container (sandbox)', function () {
  this.timeout(300_000);
  const env = useRestartHarness('podgen-containers-');
  const pg = (args: string[]): { status: number; stdout: string; stderr: string } => env.h.inside(args);
  const ok = (args: string[]): string => {
    const r = pg(args);
    assert.equal(r.status, 0, `podgen ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const rows = (): Row[] => JSON.parse(ok(['ps', '-a', '--format', 'json'])) as Row[];
  const row = (name: string): Row | undefined => rows().find((r) => r.name === name);
  const http = (port: number, file = ''): string => spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/${file}`], { encoding: 'utf8' }).stdout;
  /** Inside the sandbox: its /run is its own tmpfs. */
  const exists = (p: string): boolean => env.h.sb.exec(['test', '-e', p]).status === 0;

  it('the everyday sequence: run -d, ps, logs, inspect, port, exec, stop, ps -a, rm; ps -a is empty after rm', async function () {
    const port = await freePort();
    const data = path.join(env.staging, 'data');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'index.html'), 'nginx-like\n');
    const id = ok(['run', '-dt', '-p', `127.0.0.1:${port}:80`, '--name', 'nginx', '-v', `${data}:/data`, '-e', 'NGINX_VERSION=1.16', env.h.image, '/bin/sh', '-c', 'echo serving $NGINX_VERSION; exec /bin/busybox httpd -f -p 80 -h /data']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(http(port, 'index.html'), 'nginx-like\n');
    const r = row('nginx');
    assert.ok(r, 'ps -a lists the run -d container');
    assert.equal(r.origin, 'run');
    assert.equal(r.id, id);
    assert.equal(r.unit, 'nginx.service');
    assert.equal(r.state.Running, true);
    assert.match(ok(['ps']), /^nginx +run +running /m);
    assert.equal(ok(['ps', '-q', '--filter', 'name=nginx']), 'nginx\n');
    await until(() => /serving 1\.16/.test(pg(['logs', 'nginx']).stdout), 5_000, 'the container\'s output in logs');
    assert.match(ok(['logs', '-t', '-n', '5', 'nginx']), /^\d{4}-\d\d-\d\dT\S+ \S+ nginx\[\d+\]: serving 1\.16$/m, '-t: with timestamps');
    const info = JSON.parse(ok(['inspect', 'nginx'])) as { Name: string; Id: string; Origin: string; State: { Running: boolean }; container: Record<string, string> };
    assert.deepEqual([info.Name, info.Id, info.Origin, info.State.Running, info.container.Environment], ['nginx', id, 'run', true, 'NGINX_VERSION=1.16']);
    assert.equal(ok(['port', 'nginx']), `80/tcp -> 127.0.0.1:${port}\n`);
    assert.equal(ok(['port', 'nginx', '80']), `127.0.0.1:${port}\n`);
    assert.equal(ok(['exec', id.slice(0, 10), '/bin/sh', '-c', 'echo $NGINX_VERSION']), '1.16\n', 'exec by ID prefix');
    assert.match(ok(['top', 'nginx.service']), /httpd -f -p 80/, 'top by unit name');
    ok(['stop', 'nginx']);
    assert.equal(http(port), '');
    assert.doesNotMatch(ok(['ps']), /^nginx /m, 'ps lists running containers');
    assert.equal(row('nginx')?.state.Status, 'exited', 'ps -a keeps the stopped one');
    assert.equal(ok(['ps', '-a', '-q', '--filter', 'status=exited', '--filter', 'origin=run']).split('\n').includes('nginx'), true);
    ok(['rm', 'nginx']);
    assert.equal(row('nginx'), undefined, 'gone from ps -a');
    assert.equal(exists('/etc/systemd/system/nginx.service'), false, 'its unit is gone');
    assert.equal(exists('/var/lib/podgen/run/nginx.container'), false, 'its definition is gone');
    const again = pg(['logs', 'nginx']);
    assert.equal(again.status, 66);
    assert.match(again.stderr, /no such container: nginx/);
  });

  it('run -d and installed containers are listed together with their origin; --format templates; ambiguous names and ID prefixes are errors listing the candidates', function () {
    const ids = ['a1', 'a2'].map((n) => ok(['run', '-d', '--name', n, '--network', 'none', '--label', `role=${n}`, env.h.image, '/bin/busybox', 'sleep', '600']).trim());
    // Two installed ones: "two" is the container name of one.service and the unit of two.service.
    env.h.define('one', 'exec sleep 600', 'ContainerName=two\n');
    env.h.define('two', 'exec sleep 600', 'ContainerName=three\n');
    ok(['up', path.join(env.h.defs, 'one.container'), path.join(env.h.defs, 'two.container')]);
    try {
      const byName = new Map(rows().map((r) => [r.name, r]));
      assert.deepEqual(['a1', 'a2', 'two', 'three'].map((n) => [n, byName.get(n)?.origin, byName.get(n)?.state.Running]), [['a1', 'run', true], ['a2', 'run', true], ['two', 'definition', true], ['three', 'definition', true]]);
      assert.equal(ok(['ps', '--filter', 'label=role=a2', '--format', '{{.Names}} {{.Origin}} {{.ID}} {{.Unit}}']), `a2 run ${ids[1]?.slice(0, 12)} a2.service\n`);
      assert.match(ok(['ps', '--filter', 'origin=definition', '--format', 'table {{.Names}}\\t{{.State}}']), /^NAMES +STATE\n(three|two) +running\n(three|two) +running\n$/);
      const badField = pg(['ps', '--format', '{{.Nope}}']);
      assert.equal(badField.status, 1);
      assert.match(badField.stderr, /no field \.Nope[\s\S]*fields: Names, ID/);
      const amb = pg(['stop', 'two']);
      assert.equal(amb.status, 1);
      assert.match(amb.stderr, /"two" is ambiguous: it names two \(one\.service[^)]*\) and three \(two\.service/);
      assert.equal(row('two')?.state.Running, true, 'nothing was stopped');
      const [x, y] = ids as [string, string];
      let common = 0;
      while (x[common] === y[common]) common++;
      if (common > 0) {
        const r = pg(['inspect', x.slice(0, common)]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /is ambiguous: it names a1 .* and a2 /);
      }
      assert.equal((JSON.parse(ok(['inspect', x.slice(0, common + 1)])) as { Name: string }).Name, 'a1', 'a unique prefix names one');
      const clash = pg(['run', '-d', '--name', 'one', env.h.image]);
      assert.equal(clash.status, 1);
      assert.match(clash.stderr, /the container name "one" is already in use by the container of .*one\.container \(one\.service\)/);
      const rmDef = pg(['rm', 'three']);
      assert.equal(rmDef.status, 1);
      assert.match(rmDef.stderr, /three is the container of the definition .*two\.container[\s\S]*podgen down two/);
      ok(['rm', '-f', 'three']);
      assert.equal(row('three'), undefined, 'rm -f did what down does');
      assert.equal(fs.existsSync(path.join(env.h.defs, 'two.container')), true, 'the definition stays');
    } finally {
      pg(['rm', '-f', 'a1', 'a2']);
      env.h.down('one', 'two');
    }
    assert.deepEqual(rows().filter((r) => ['a1', 'a2', 'two', 'three'].includes(r.name)), []);
  });

  it('--latest on every command podman offers it for', async function () {
    ok(['run', '-d', '--name', 'older', '--network', 'none', env.h.image, '/bin/busybox', 'sleep', '600']);
    const port = await freePort();
    const id = ok(['run', '-d', '--name', 'newest', '-p', `127.0.0.1:${port}:8080`, env.h.image, '/bin/sh', '-c', 'echo latest-says-hi; exec /bin/busybox httpd -f -p 8080 -h /etc']).trim();
    try {
      assert.equal(ok(['ps', '-l', '-q']), 'newest\n');
      await until(() => /latest-says-hi/.test(pg(['logs', '--latest']).stdout), 5_000, 'logs --latest');
      assert.equal((JSON.parse(ok(['inspect', '-l'])) as Array<{ Id: string }>)[0]?.Id, id);
      assert.match(ok(['status', '-l']), /^newest\.service: active\/running/);
      assert.equal(ok(['port', '-l']), `8080/tcp -> 127.0.0.1:${port}\n`);
      assert.equal(ok(['exec', '-l', '/bin/busybox', 'hostname']), 'newest\n');
      assert.match(ok(['top', '-l']), /httpd -f -p 8080/);
      assert.equal((JSON.parse(ok(['stats', '-l', '--json'])) as Array<{ name: string }>)[0]?.name, 'newest');
      assert.match(ok(['restart', '-l']), /^newest\.service: done/);
      assert.match(ok(['stop', '-l']), /^newest\.service: done/);
      assert.equal(row('newest')?.state.Running, false);
      assert.equal(row('older')?.state.Running, true, '--latest touched only the newest');
      assert.match(ok(['start', '-l']), /^newest\.service: done/);
      assert.equal(ok(['kill', '-l']), 'newest\n');
      assert.equal(ok(['wait', '-l']), '137\n');
      ok(['rm', '-l']);
      assert.equal(row('newest'), undefined);
      assert.equal(row('older')?.state.Running, true);
    } finally {
      pg(['rm', '-f', 'newest', 'older']);
    }
  });

  it('run -d --restart: the restart manager restarts a killed PID 1, podgen kill is a stop by hand; wait prints the exit code; --rm containers remove themselves; rm -v takes the anonymous volume', async function () {
    ok(['run', '-d', '--restart=always', '--name', 'phoenix', '--network', 'none', '-v', '/scratch', env.h.image, '/bin/sh', '-c', 'echo x >> /scratch/starts; exec /bin/busybox sleep 600']);
    try {
      const pid = Number(env.h.show('phoenix', ['MainPID']).MainPID);
      assert.ok(pid > 0);
      env.h.sb.execOk(['kill', '-9', String(pid)]);
      await until(() => row('phoenix')?.restartCount === 1 && row('phoenix')?.state.Running === true, 15_000, 'restarted by its policy', () => JSON.stringify(row('phoenix')));
      assert.equal(ok(['exec', 'phoenix', '/bin/busybox', 'wc', '-l', '/scratch/starts']).trim(), '2 /scratch/starts', 'the anonymous volume lives across restarts');
      assert.match(env.h.sb.execOk(['systemctl', 'is-enabled', 'phoenix.service']), /enabled/, 'always: back at boot');
      ok(['kill', 'phoenix']);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(row('phoenix')?.state.Running, false, 'podgen kill is not a crash: no restart');
      assert.match(ok(['volume', 'ls']), /phoenix-anon-1/);
      ok(['rm', '-v', 'phoenix']);
      assert.doesNotMatch(ok(['volume', 'ls']), /phoenix-anon-1/, 'rm -v removed it');
    } finally {
      pg(['rm', '-f', '-v', 'phoenix']);
    }

    ok(['run', '-d', '--name', 'three-exit', '--network', 'none', env.h.image, '/bin/sh', '-c', 'sleep 2; exit 3']);
    assert.equal(ok(['wait', 'three-exit']), '3\n');
    assert.match(row('three-exit')?.status ?? '', /^exited \(3\)/);
    ok(['rm', 'three-exit']);

    ok(['run', '-d', '--rm', '--name', 'brief', '--network', 'none', env.h.image, '/bin/sh', '-c', 'sleep 3']);
    assert.equal(exists('/run/systemd/system/brief.service'), true, '--rm: a runtime unit');
    await until(() => row('brief') === undefined, 20_000, 'the --rm container to remove itself', () => `${env.h.journal('brief')}\n${env.h.sb.exec(['systemctl', 'status', '--no-pager', 'brief.service']).stdout}`);
    assert.equal(exists('/run/systemd/system/brief.service'), false);
    assert.equal(exists('/run/podgen/run/brief.container'), false);
    const conflict = pg(['run', '-d', '--rm', '--restart=always', env.h.image]);
    assert.equal(conflict.status, 1);
    assert.match(conflict.stderr, /--rm and --restart conflict/);
  });

  it('stop -t N bounds the stop of a PID 1 that ignores SIGTERM', function () {
    ok(['run', '-d', '--name', 'stubborn', '--network', 'none', env.h.image, '/bin/busybox', 'sleep', '600']);
    try {
      const t0 = Date.now();
      const r = env.h.sb.exec(['env', 'PODGEN_TRACE=1', process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), 'stop', '-t', '2', 'stubborn']);
      assert.equal(r.status, 0, r.stderr);
      const took = Date.now() - t0;
      assert.ok(took >= 1800 && took < 8000, `took ${took} ms (the default grace is 10 s)\n${r.stderr}\n${env.h.journal('stubborn')}`);
    } finally {
      pg(['rm', '-f', 'stubborn']);
    }
  });
});
