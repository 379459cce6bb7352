// podgen import run: docker/podman run lines -> definitions. The round trip
// (import -> generate with the podgen engine -> the flags the unit hands to
// prepare, read by prepare's own parser) must give the container what the
// original line gives it; every flag is mapped or refused by name; shell lines
// are read as a shell reads them.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { generate, machineContext } from '../../src/commands/generate';
import { importRunLine } from '../../src/commands/importRun';
import { PodgenError } from '../../src/errors';
import { RUN_FLAGS } from '../../src/import/runFlagTable';
import { joinContinuations, splitShellLine } from '../../src/import/shellLine';
import { defaultSearchEnv } from '../../src/resolve/searchPaths';
import { parseRunArgs, type RunArgs } from '../../src/runtime/runArgs';
import { capability, cpus, memory, prepareArgs, publish, signal, ulimit, volume } from '../support/valueArbitraries';
import { withTempDir } from '../support/tempDir';

const ctx = machineContext(false, { ...process.env, PODGEN_NO_VERIFY: '1' });
const env = { HOME: '/root', TOKEN: 's3cret', PATH: '/usr/bin' };

function imported(input: string[], engine: 'podgen' | 'podman' = 'podgen'): ReturnType<typeof importRunLine> {
  return importRunLine({ input, engine, ctx, cwd: '/srv/app', env });
}

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PodgenError && e.data.kind === 'usage' && pattern.test(e.message) && /\S/.test(e.data.hint ?? ''), String(pattern));
}

/** What the container gets, as prepare's parser reads it; order-free where docker's is (later -e NAME wins). */
function meaning(a: RunArgs): Record<string, unknown> {
  const { detach, tty, interactive, remove, name, restart, env: e, labels, annotations, ...rest } = a;
  void detach, tty, interactive, remove, name, restart;
  const map = (kv: ReadonlyArray<readonly [string, string]>): Record<string, string> => Object.fromEntries([...new Map(kv.map(([k, v]) => [k, v]))].sort());
  return { ...rest, env: map(e), labels: map(labels), annotations: map(annotations) };
}

describe('podgen import run', function () {
  this.timeout(120_000);
  let dir = '';
  withTempDir('podgen-import-', (d) => (dir = d), 'all');

  function unitOf(text: string, file = 'imported.container'): string {
    fs.writeFileSync(path.join(dir, file), text);
    const [unit] = generate({ names: [path.join(dir, file)], engine: 'podgen', output: undefined, search: { ...defaultSearchEnv(false), cwd: dir }, ctx }).units;
    assert.ok(unit);
    return unit.text;
  }

  it('the two example lines: image, command, env, ports, volumes and name come through to prepare', function () {
    const nginx = imported(['podman run -dt -p 80:80 --name nginx -v /data:/data -e NGINX_VERSION=1.16 nginx:1.16.0']);
    assert.equal(nginx.fileName, 'nginx.container');
    const n = prepareArgs(unitOf(nginx.text));
    assert.equal(n.image, 'docker.io/library/nginx:1.16.0');
    assert.deepEqual(n.publish.map((p) => [p.hostPort, p.containerPort, p.protocol]), [[80, 80, 'tcp']]);
    assert.deepEqual(n.volumes, [{ kind: 'bind', source: '/data', target: '/data', options: [] }]);
    assert.deepEqual(n.env, [['NGINX_VERSION', '1.16']]);
    assert.match(unitOf(nginx.text), /prepare --name nginx /);
    assert.ok(nginx.imported.notes.some((x) => x.startsWith('-t: a service has no terminal')), 'says what happens to -t');

    const httpd = imported(['podman', 'run', '-dt', '-p', '8080:8080/tcp', '-e', 'HTTPD_VAR_RUN=/var/run/httpd', '-e', 'HTTPD_MAIN_CONF_D_PATH=/etc/httpd/conf.d', '-e', 'HTTPD_MAIN_CONF_PATH=/etc/httpd/conf', '-e', 'HTTPD_CONTAINER_SCRIPTS_PATH=/usr/share/container-scripts/httpd/', 'registry.fedoraproject.org/f27/httpd', '/usr/bin/run-httpd']);
    assert.equal(httpd.fileName, 'httpd.container');
    const h = prepareArgs(unitOf(httpd.text));
    assert.equal(h.image, 'registry.fedoraproject.org/f27/httpd');
    assert.deepEqual(h.command, ['/usr/bin/run-httpd']);
    assert.equal(h.env.length, 4);
    assert.deepEqual(h.publish.map((p) => [p.hostPort, p.containerPort, p.protocol]), [[8080, 8080, 'tcp']]);
  });

  it('60 random flag combinations round-trip: import -> definition -> generate -> the argv prepare parses means what the line meant', function () {
    const word = fc.string({ unit: fc.constantFrom(...'aZ09 _-%$"\'\\:=/,.é*'.split('')), maxLength: 12 });
    const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/);
    const flagSets = fc.record({
      ports: fc.array(publish, { maxLength: 2 }),
      volumes: fc.array(volume, { maxLength: 2 }),
      mem: fc.option(memory, { nil: undefined }),
      cpu: fc.option(cpus, { nil: undefined }),
      ulimits: fc.uniqueArray(ulimit, { maxLength: 2, selector: (u) => u.split('=')[0] }),
      caps: fc.array(capability, { maxLength: 2 }),
      stop: fc.option(signal, { nil: undefined }),
      env: fc.array(fc.tuple(envName, word), { maxLength: 3 }),
      labels: fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z.]{0,8}$/), word), { maxLength: 2 }),
      workdir: fc.option(fc.constantFrom('/srv', '/var/lib/x y'), { nil: undefined }),
      user: fc.option(fc.constantFrom('1000', '1000:100', 'www-data', 'nobody:nogroup'), { nil: undefined }),
      hostname: fc.option(fc.constantFrom('web', 'db.local'), { nil: undefined }),
      bools: fc.subarray(['--read-only', '--init', '--privileged', '-d', '-t', '-i', '--read-only-tmpfs=false', '--env-host']),
      tmpfs: fc.array(fc.constantFrom('/run', '/tmp:rw,size=64m', '/cache:mode=1777'), { maxLength: 2 }),
      dns: fc.array(fc.constantFrom('1.1.1.1', '9.9.9.9'), { maxLength: 2 }),
      hosts: fc.array(fc.constantFrom('db:10.0.0.2', 'cache:10.0.0.3'), { maxLength: 2 }),
      security: fc.subarray(['no-new-privileges', 'seccomp=unconfined', 'mask=/proc/x:/sys/y', 'unmask=ALL']),
      network: fc.constantFrom(undefined, 'host', 'none', 'bridge'),
      entrypoint: fc.constantFrom(undefined, '', '/bin/sh', '/bin/tini -s'),
      restart: fc.constantFrom(undefined, 'no', 'always', 'unless-stopped', 'on-failure', 'on-failure:3'),
      name: fc.option(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/), { nil: undefined }),
      image: fc.constantFrom('busybox', 'docker.io/library/busybox:1.36', 'localhost:5000/app/web:v2', 'quay.io/x/y@sha256:' + 'a'.repeat(64)),
      command: fc.array(word, { maxLength: 3 }),
    });
    let runs = 0;
    fc.assert(
      fc.property(flagSets, (s) => {
        const flags = [
          ...s.ports.flatMap((p) => ['-p', p]),
          ...s.volumes.flatMap((v) => ['-v', v]),
          ...(s.mem ? [`--memory=${s.mem}`] : []),
          ...(s.cpu ? ['--cpus', s.cpu] : []),
          ...s.ulimits.flatMap((u) => ['--ulimit', u]),
          ...s.caps.flatMap((c) => ['--cap-add', c]),
          ...(s.stop ? ['--stop-signal', s.stop] : []),
          ...s.env.flatMap(([k, v]) => ['-e', `${k}=${v}`]),
          ...s.labels.flatMap(([k, v]) => ['--label', `${k}=${v}`]),
          ...(s.workdir ? ['-w', s.workdir] : []),
          ...(s.user ? ['-u', s.user] : []),
          ...(s.hostname ? ['-h', s.hostname] : []),
          ...s.bools,
          ...s.tmpfs.flatMap((t) => ['--tmpfs', t]),
          ...s.dns.flatMap((d) => ['--dns', d]),
          ...s.hosts.flatMap((h) => ['--add-host', h]),
          ...s.security.flatMap((o) => ['--security-opt', o]),
          ...(s.network ? ['--network', s.network] : []),
          ...(s.entrypoint !== undefined ? [`--entrypoint=${s.entrypoint}`] : []),
          ...(s.restart ? ['--restart', s.restart] : []),
          ...(s.name ? ['--name', s.name] : []),
        ];
        const result = imported(['docker', 'run', ...flags, s.image, ...s.command]);
        const unit = unitOf(result.text);
        const got = prepareArgs(unit);
        const full = s.image.startsWith('busybox') ? 'docker.io/library/busybox:latest' : s.image;
        assert.deepEqual(meaning(got), meaning(parseRunArgs([...flags, full, ...s.command])));
        assert.match(unit, new RegExp(`^Environment=PODGEN_RESTART_POLICY=${s.restart ?? 'no'}$`, 'm'));
        if (s.name) assert.match(unit, new RegExp(` prepare --name ${s.name.replace(/\./g, '\\.')} `));
        runs++;
      }),
      { numRuns: 60 },
    );
    assert.equal(runs, 60);
  });

  it('a whole shell line: quotes, \\ continuations, $VARS and comments read as a shell reads them', function () {
    assert.equal(joinContinuations('a \\\n b "c\\\nd" \'e\\\nf\''), 'a  b "cd" \'e\\\nf\'');
    assert.deepEqual(splitShellLine(`docker run \\\n  -e "A=x y" -e 'B=$TOKEN' -e C=$TOKEN -e D="$HOME/x" img # trailing`, env), ['docker', 'run', '-e', 'A=x y', '-e', 'B=$TOKEN', '-e', 'C=s3cret', '-e', 'D=/root/x', 'img']);
    const r = imported(['docker run -d \\\n  --name web \\\n  -e "GREETING=hello world" \\\n  nginx:1.25 nginx -g "daemon off;"']);
    const got = prepareArgs(unitOf(r.text));
    assert.deepEqual(got.env, [['GREETING', 'hello world']]);
    assert.deepEqual(got.command, ['nginx', '-g', 'daemon off;']);
    usageError(() => splitShellLine('docker run $NOPE img', env), /\$NOPE, which is not set/);
    usageError(() => imported(['docker run img && rm -rf /']), /shell operator "&&"/);
    usageError(() => imported(['docker run img > out']), /shell operator ">"/);
    usageError(() => imported(['docker run -v *.conf:/x img']), /file name pattern/);
  });

  it('every flag in the table is mapped, understood, kept for podman or refused with the reason: none slips through', function () {
    let checked = 0;
    for (const spec of RUN_FLAGS) {
      for (const name of spec.names) {
        const words = spec.takesValue ? [name, 'v'] : [name];
        let outcome: string;
        try {
          const r = imported(['podman', 'run', ...words, 'docker.io/library/busybox:1.36'], 'podman');
          outcome = /^PodmanArgs=/m.test(r.text) ? 'podman' : 'ok';
        } catch (e) {
          assert.ok(e instanceof PodgenError, `${name}: ${String(e)}`);
          assert.ok(e.message.includes(name) || /^IMAGE|^image/.test(e.message) || e.message.includes('does not generate'), `${name}: the error names the flag: ${e.message}`);
          outcome = 'refused';
        }
        if (spec.rule.kind === 'refused') assert.equal(outcome, 'refused', name);
        if (spec.rule.kind === 'podman') assert.equal(outcome, 'podman', name);
        if (spec.rule.kind === 'understood') assert.equal(outcome, 'ok', name);
        checked++;
      }
    }
    assert.ok(checked > 150, `${checked} spellings checked`);
  });

  it('refusals name the flag and say why; podman-only flags need --engine podman', function () {
    usageError(() => imported(['docker run --link db:db img']), /--link cannot be imported: legacy container links/);
    usageError(() => imported(['docker run --ipc host img']), /--ipc host cannot be imported: .*own namespaces/);
    assert.match(imported(['podman run --ipc host img'], 'podman').text, /^PodmanArgs=--ipc=host$/m);
    usageError(() => imported(['docker run --frobnicate img']), /unknown flag --frobnicate/);
    usageError(() => imported(['docker run -Z img']), /unknown flag -Z/);
    usageError(() => imported(['docker run --rm --restart=always img']), /--rm and --restart conflict/);
    usageError(() => imported(['docker run --restart=sometimes img']), /--restart sometimes/);
    usageError(() => imported(['docker run -p 99999:80 img']), /-p 99999:80/);
    usageError(() => imported(['docker run --memory lots img']), /--memory lots/);
    usageError(() => imported(['docker run --ip6 fd00::5 img']), /--ip6: the podgen engine does not honour IP6=/);
    usageError(() => imported(['docker run -d']), /no image given/);
    usageError(() => imported(['docker ps -a']), /only "run" commands/);
    usageError(() => imported(['kubectl run x']), /expected a docker run or podman run command/);
    assert.throws(
      () => imported(['docker run --network net1.network img']),
      (e: unknown) => e instanceof PodgenError && e.data.kind === 'definition' && /does not generate/.test(e.message) && e.data.diagnostics?.[0]?.file === 'img.container' && /net1\.network was not found/.test(e.data.diagnostics[0].message),
    );
  });

  it('values that are literal for docker stay literal: % and $ are escaped, -e NAME takes your value, relative paths become absolute', function () {
    const r = imported(['docker', 'run', '-e', 'PCT=100%', '-e', 'COST=$5', '-e', 'TOKEN', '-e', 'UNSET', '-v', './data:/data', '--env-file', '.env', 'img', 'echo', '%h $HOME']);
    assert.match(r.text, /^Environment=PCT=100%%$/m);
    assert.match(r.text, /^Environment=COST=\$\$5$/m);
    assert.match(r.text, /^Environment=TOKEN=s3cret$/m);
    assert.match(r.text, /^Volume=\/srv\/app\/data:\/data$/m);
    assert.match(r.text, /^EnvironmentFile=\/srv\/app\/\.env$/m);
    assert.ok(r.imported.notes.some((n) => n.includes('UNSET: not set in your environment')));
    fs.mkdirSync('/srv/app', { recursive: true });
    const got = prepareArgs(unitOf(r.text.replace(/^EnvironmentFile=.*\n/m, '')));
    assert.deepEqual(got.command, ['echo', '%h $HOME']);
    assert.deepEqual(new Map(got.env).get('PCT'), '100%');
    assert.deepEqual(new Map(got.env).get('COST'), '$5');
  });
});
