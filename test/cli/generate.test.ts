// podgen generate as a user runs it: name resolution, output forms, files.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { withTempDir } from '../support/tempDir';

const BUSYBOX = '[Container]\nImage=docker.io/library/busybox:1.36\n';

describe('podgen generate', function () {
  let dir = '';
  withTempDir('podgen-gen-', (d) => (dir = d));

  it('generates the shipped nginx definition from any directory', function () {
    const r = podgen(['generate', 'nginx'], { cwd: dir, env: { QUADLET_UNIT_DIRS: dir } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const unit = r.stdout;
    assert.match(unit, new RegExp(`from ${REPO_ROOT}/units/nginx.container`));
    // Bridged: Node prepares every start, then hands over to podgen-start (npm install built it:
    // native/build.sh), which runs runc create, makes the container the main process and starts it.
    // The restart manager's back-off wait in front of Node's prepare; the container's record named in both.
    assert.match(unit, /^ExecStart=\S+podgen-unit wait %S\/podgen\/state\/%n -- \S+ \S+ prepare --name nginx --runtime runc --record %S\/podgen\/state\/%n --then start -- .*-v \/data:\/data --publish 80:80 --env NGINX_VERSION=1\.16 docker\.io\/library\/nginx:1\.16\.0$/m);
    assert.match(unit, /^Environment=PODGEN_RESTART_POLICY=always$/m);
    assert.match(unit, /^ExecStopPost=\S+podgen-unit ended %S\/podgen\/state\/%n %n$/m);
    assert.doesNotMatch(unit, /^(ExecStartPre|ExecStartPost|PIDFile)=/m);
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^NotifyAccess=all$/m);
    // Where no C compiler built podgen-unit: runc create, then ExecStartPost (runc start's work
    // in sh, or runc start itself) lets the container's init, waiting on runc's exec.fifo, run.
    const without = podgen(['generate', 'nginx'], { cwd: dir, env: { QUADLET_UNIT_DIRS: dir, PODGEN_NO_NATIVE_HELPER: '1' } });
    const plain = without.stdout;
    // ...and the restart policy falls back to systemd's static settings, saying so.
    assert.match(without.stderr, /nginx\.container:\d+: warning: podgen-unit was not built .*RestartPolicy=always gets systemd's fixed 100 ms delay/);
    assert.match(plain, /^Restart=always$/m);
    assert.match(plain, /^RestartSec=100ms$/m);
    assert.doesNotMatch(plain, /PODGEN_RESTART_POLICY|podgen-unit/);
    assert.match(plain, /^ExecStart=\S+ \S+ prepare --name nginx --runtime runc --then create -- /m);
    assert.match(plain, /^ExecStartPost=\/bin\/sh -c "f='%t\/podgen\/runc\/nginx\/exec\.fifo'; .*" \/usr\/bin\/runc --root %t\/podgen\/runc start nginx$/m);
    assert.match(plain, /^PIDFile=%t\/podgen\/containers\/nginx\/pid$/m);
    assert.match(plain, /^Type=forking$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^StartLimitIntervalSec=0$/m);
    assert.match(unit, /^WantedBy=multi-user.target$/m);
  });

  it('generates the shipped httpd definition for podman like Quadlet', function () {
    const r = podgen(['generate', '--engine', 'podman', 'httpd'], { cwd: dir, env: { QUADLET_UNIT_DIRS: dir } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^ExecStart=\/usr\/bin\/podman run --name httpd --replace --rm --cgroups=split --sdnotify=conmon -d --publish 8080:8080\/tcp registry\.fedoraproject\.org\/f27\/httpd \/usr\/bin\/run-httpd$/m,
    );
  });

  it('prefers ./NAME.container, then Quadlet dirs, then the shipped units', function () {
    const quadletDir = path.join(dir, 'quadlet');
    fs.mkdirSync(quadletDir);
    fs.writeFileSync(path.join(quadletDir, 'nginx.container'), '[Container]\nImage=quay.io/from/quadlet-dir\n');
    let r = podgen(['generate', 'nginx'], { cwd: dir, env: { QUADLET_UNIT_DIRS: quadletDir } });
    assert.match(r.stdout, /quay\.io\/from\/quadlet-dir/);
    fs.writeFileSync(path.join(dir, 'nginx.container'), '[Container]\nImage=quay.io/from/cwd\n');
    r = podgen(['generate', 'nginx'], { cwd: dir, env: { QUADLET_UNIT_DIRS: quadletDir } });
    assert.match(r.stdout, /quay\.io\/from\/cwd/);
  });

  it('"not found" lists every place it looked in', function () {
    const r = podgen(['generate', 'nosuchthing'], { cwd: dir, env: { QUADLET_UNIT_DIRS: `${dir}/q1:${dir}/q2` } });
    assert.equal(r.status, 66);
    assert.match(r.stderr, /no definition named "nosuchthing" found/);
    for (const place of [`${dir}/nosuchthing.container`, `${dir}/q1/nosuchthing.container`, `${dir}/q2/nosuchthing.container`, `${REPO_ROOT}/units/nosuchthing.container`]) {
      assert.ok(r.stderr.includes(place), `missing ${place} in:\n${r.stderr}`);
    }
  });

  it('instantiates a template: worker@3 from worker@.container', function () {
    fs.writeFileSync(path.join(dir, 'worker@.container'), `${BUSYBOX}Exec=/work %i\n`);
    const r = podgen(['generate', '--format', 'json', 'worker@3'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { units: Array<{ unitName: string; containerName: string }> };
    assert.equal(out.units[0]?.unitName, 'worker@3.service');
    assert.equal(out.units[0]?.containerName, '%p_%i');
  });

  it('templates and drop-ins work for the other kinds: data@blue.volume from data@.volume, with volume.d/ and data@.volume.d/', function () {
    fs.writeFileSync(path.join(dir, 'data@.volume'), '[Volume]\nLabel=base=1\n');
    for (const [d, f, text] of [
      ['volume.d', '10-all.conf', '[Volume]\nLabel=all=1\n'],
      ['data@.volume.d', '20-tmpl.conf', '[Volume]\nLabel=tmpl=%i\n'],
    ] as const) {
      fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(path.join(dir, d, f), text);
    }
    for (const engine of ['podman', 'podgen']) {
      const r = podgen(['generate', '--engine', engine, '--format', 'json', 'data@blue.volume'], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      const u = (JSON.parse(r.stdout) as { units: Array<{ unitName: string; text: string; kind: string }> }).units[0];
      assert.equal(u?.unitName, 'data-volume@blue.service');
      assert.equal(u?.kind, 'volume');
      assert.match(u?.text ?? '', /--label all=1 --label base=1 --label tmpl=%i/);
      assert.match(u?.text ?? '', /systemd-data-%i/, 'one volume per instance');
    }
    const net = podgen(['generate', '--engine', 'podman', '--format', 'json', path.join(dir, 'data@.volume')], { cwd: dir });
    assert.equal((JSON.parse(net.stdout) as { units: Array<{ unitName: string }> }).units[0]?.unitName, 'data-volume@.service');
  });

  it('merges drop-ins: NAME.container.d, truncated-name dirs and container.d, in name order', function () {
    fs.writeFileSync(path.join(dir, 'app-web.container'), `${BUSYBOX}Environment=A=base\n`);
    for (const [d, f, text] of [
      ['container.d', '10-all.conf', '[Container]\nEnvironment=ALL=1\n'],
      ['app-.container.d', '20-app.conf', '[Container]\nEnvironment=A=app\n'],
      ['app-web.container.d', '30-web.conf', '[Container]\nEnvironment=WEB=1\n'],
      ['app-web.container.d', '10-all.conf', '[Container]\nEnvironment=SHADOW=1\n'],
    ] as const) {
      fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(path.join(dir, d, f), text);
    }
    const r = podgen(['generate', '--format', 'json', 'app-web'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const u = (JSON.parse(r.stdout) as { units: Array<{ text: string; dropins: string[] }> }).units[0];
    assert.ok(u);
    assert.deepEqual(u.dropins.map((p) => path.relative(dir, p)), ['app-web.container.d/10-all.conf', 'app-.container.d/20-app.conf', 'app-web.container.d/30-web.conf']);
    assert.match(u.text, /--env A=app --env SHADOW=1 --env WEB=1/);
    assert.doesNotMatch(u.text, /ALL=1/);
  });

  it('prints several units with a header each', function () {
    fs.writeFileSync(path.join(dir, 'a.container'), BUSYBOX);
    fs.writeFileSync(path.join(dir, 'b.container'), BUSYBOX);
    const r = podgen(['generate', 'a', 'b'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^---a\.service---\n# Generated by podgen[\s\S]*\n---b\.service---\n# Generated by podgen/);
  });

  it('--format json gives the typed plan', function () {
    fs.writeFileSync(path.join(dir, 'j.container'), `${BUSYBOX}RestartPolicy=on-failure:3\n[Install]\nWantedBy=multi-user.target\n`);
    const r = podgen(['generate', '--format', 'json', 'j'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const plan = (JSON.parse(r.stdout) as { units: Array<Record<string, unknown>> }).units[0];
    assert.equal(plan?.engine, 'podgen');
    assert.equal(plan?.unitName, 'j.service');
    assert.equal(plan?.restartPolicy, 'on-failure:3');
    assert.deepEqual(plan?.symlinks, [{ path: 'multi-user.target.wants/j.service', target: '../j.service' }]);
    const service = (plan?.sections as Array<{ name: string; entries: Array<{ key: string; value: string }> }>).find((s) => s.name === 'Service');
    assert.ok(service?.entries.some((e) => e.key === 'Restart' && e.value === 'on-failure'));
  });

  it('--output writes the unit and its [Install] symlinks atomically, and rewrites in place', function () {
    fs.writeFileSync(path.join(dir, 'o.container'), `${BUSYBOX}[Install]\nWantedBy=multi-user.target\nAlias=o-alias.service\n`);
    const out = path.join(dir, 'units');
    for (let i = 0; i < 2; i++) {
      const r = podgen(['generate', '--output', out, 'o'], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
    }
    assert.deepEqual(fs.readdirSync(out).sort(), ['multi-user.target.wants', 'o-alias.service', 'o.service']);
    assert.equal(fs.readlinkSync(path.join(out, 'multi-user.target.wants', 'o.service')), '../o.service');
    assert.equal(fs.readlinkSync(path.join(out, 'o-alias.service')), 'o.service');
    assert.match(fs.readFileSync(path.join(out, 'o.service'), 'utf8'), /^\[Service\]$/m);
  });

  it('warnings go to stderr, with exit 0', function () {
    fs.writeFileSync(path.join(dir, 'w.container'), '[Container]\nImage=busybox\n');
    const r = podgen(['generate', 'w'], { cwd: dir });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /w\.container:2: warning: w\.container specifies the image "busybox" which not a fully qualified image name/);
    assert.match(r.stdout, /^ExecStart=/m);
  });

  it('has --help for every command and a completion script', function () {
    for (const args of [['--help'], ['generate', '--help']]) {
      const r = podgen(args);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Exit codes:/);
    }
    const c = podgen(['completion']);
    assert.equal(c.status, 0);
    assert.match(c.stdout, /podgen/);
    assert.match(c.stdout, /complete/);
  });
});

describe('podgen generate --user', function () {
  let home: string;
  beforeEach(function () {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-home-'));
  });
  afterEach(function () {
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('finds definitions in ~/.config/containers/systemd and orders user units correctly', function () {
    const dir = path.join(home, '.config', 'containers', 'systemd');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mine.container'), BUSYBOX);
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_RUNTIME_DIR: path.join(home, 'run'), QUADLET_UNIT_DIRS: '' };
    const podman = podgen(['generate', '--user', '--engine', 'podman', 'mine'], { cwd: home, env });
    assert.equal(podman.status, 0, podman.stderr);
    assert.match(podman.stdout, new RegExp(`SourcePath=${dir}/mine.container`));
    // A user manager cannot see network-online.target; Quadlet orders after its helper unit instead.
    assert.match(podman.stdout, /^Wants=podman-user-wait-network-online\.service$/m);
    const own = podgen(['generate', '--user', 'mine'], { cwd: home, env });
    assert.equal(own.status, 0, own.stderr);
    assert.doesNotMatch(own.stderr, /warning/, 'a rootless podgen-engine unit is a unit like any other');
    assert.doesNotMatch(own.stdout, /network-online/);
    // On pasta with no random port, a rootless container restarts without Node too (the marker path first).
    assert.match(own.stdout, /^ExecStart=\S+podgen-unit start --record %S\/podgen\/state\/%n --ready %t\/podgen\/containers\/%N\/ready-[0-9a-f]{16} .* prepare --user --name %N --runtime runc --fast-key [0-9a-f]{16} --record %S\/podgen\/state\/%n --then start -- docker.io\/library\/busybox:1.36$/m);
    assert.match(own.stdout, /^ExecStopPost=-\S+podgen-unit cleanup %t\/podgen\/containers\/%N .* cleanup --user --name %N --runtime runc --keep-bundle$/m);
    const system = podgen(['generate', 'mine'], { cwd: home, env });
    assert.equal(system.status, 66, 'a user definition must not be found for the system manager');
    // User namespaces: honoured for a rootless container, refused as root (and what prepare would refuse, refused here).
    fs.writeFileSync(path.join(dir, 'keep.container'), `${BUSYBOX}UserNS=keep-id\nUIDMap=0:1:10\n`);
    const keep = podgen(['generate', '--user', 'keep'], { cwd: home, env });
    assert.equal(keep.status, 65, 'keep-id with UIDMap= is refused');
    assert.match(keep.stderr, /UserNS=keep-id cannot be combined with UIDMap=\/GIDMap=/);
    // A named network: fine for a rootless container, but not with a user namespace of its own (they share the user's).
    fs.writeFileSync(path.join(dir, 'mynet.network'), '[Network]\nSubnet=10.77.9.0/24\n');
    fs.writeFileSync(path.join(dir, 'keep.container'), `${BUSYBOX}UserNS=keep-id\nNetwork=mynet.network\n`);
    const named = podgen(['generate', '--user', 'keep'], { cwd: home, env });
    assert.equal(named.status, 65);
    assert.match(named.stderr, /keep\.container:3: Network=mynet\.network with UserNS=, UIDMap=, GIDMap=, SubUIDMap= or SubGIDMap=: rootless containers on named networks share one user namespace/);
    fs.writeFileSync(path.join(dir, 'keep.container'), `${BUSYBOX}Network=mynet.network\n`);
    const onNet = podgen(['generate', '--user', 'keep'], { cwd: home, env });
    assert.equal(onNet.status, 0, onNet.stderr);
    assert.match(onNet.stdout, / --network systemd-mynet /);
    assert.match(onNet.stdout, /^Requires=mynet-network\.service$/m);
    fs.writeFileSync(path.join(dir, 'keep.container'), `${BUSYBOX}UserNS=keep-id\n`);
    const ok = podgen(['generate', '--user', 'keep'], { cwd: home, env });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, / --userns keep-id /);
    fs.writeFileSync(path.join(home, 'keep.container'), `${BUSYBOX}UserNS=keep-id\n`);
    const asRoot = podgen(['generate', path.join(home, 'keep.container')], { cwd: home, env });
    assert.equal(asRoot.status, 65);
    assert.match(asRoot.stderr, /UserNS= is honoured by the podgen engine for rootless containers only/);
  });
});
