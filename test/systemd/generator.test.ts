// podgen as a systemd generator, for real: the sandbox's systemd runs it on
// daemon-reload and at boot; definitions dropped into /etc/podgen/definitions
// become running units with no `podgen up`; a broken one is left out and
// told in the journal and by `podgen check`; a name Quadlet's directories
// also produce is left to Quadlet.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cli';
import { pushImage } from '../support/images';
import { freePort } from '../support/ports';
import { TestRegistry } from '../support/registry';
import { runtimeImage } from '../support/runtimeImage';
import { useSandbox } from '../support/sandbox';

describe('generator mode (the sandbox systemd runs podgen as a generator)', function () {
  this.timeout(300_000);
  const env = useSandbox('podgen-gen-');
  let reg: TestRegistry;
  let image = '';
  let port = 0;
  const inside = (args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args]);
  const defsDir = (): string => path.join(env.sb.root, 'etc/podgen/definitions');
  const quadletDir = (): string => path.join(env.sb.root, 'etc/containers/systemd');
  const show = (unit: string, prop: string): string => env.sb.execOk(['systemctl', 'show', '-p', prop, '--value', unit]).trim();
  const http = (): number => {
    const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-m', '3', '-w', '%{http_code}', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    return Number(r.stdout || 0);
  };
  const waitHttp = async (ms: number): Promise<number> => {
    const until = Date.now() + ms;
    let code = 0;
    while (Date.now() < until && (code = http()) !== 200) await new Promise((r) => setTimeout(r, 250));
    return code;
  };

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/gen', '1', runtimeImage());
    image = `${reg.address}/test/gen:1`;
    port = await freePort();
    const www = path.join(env.staging, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'generated\n');
    fs.mkdirSync(defsDir(), { recursive: true });
    fs.mkdirSync(quadletDir(), { recursive: true });
    fs.writeFileSync(
      path.join(defsDir(), 'gen-web.container'),
      `[Container]\nImage=${image}\nExec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nPublishPort=127.0.0.1:${port}:80\nStopTimeout=1\n\n[Install]\nWantedBy=multi-user.target\n`,
    );
    fs.writeFileSync(path.join(defsDir(), 'gen-broken.container'), `[Container]\nImage=${image}\nFoo=bar\n`);
    fs.writeFileSync(path.join(defsDir(), 'twin.container'), `[Container]\nImage=${image}\n`);
    fs.writeFileSync(path.join(quadletDir(), 'twin.container'), `[Container]\nImage=${image}\n`);
  });
  after(function () {
    if (!env.staging) return;
    env.sb.exec(['systemctl', 'stop', 'gen-web.service']);
    inside(['generator', 'uninstall']);
    fs.rmSync(defsDir(), { recursive: true, force: true });
    fs.rmSync(path.join(quadletDir(), 'twin.container'), { force: true });
    env.sb.exec(['systemctl', 'daemon-reload']);
    reg?.stop();
  });

  it('generator install; a dropped definition is a unit after daemon-reload and runs, with no podgen up', async function () {
    const r = inside(['generator', 'install']);
    assert.equal(r.status, 0, r.stderr);
    const script = fs.readFileSync(path.join(env.sb.root, 'etc/systemd/system-generators/podgen-generator'), 'utf8');
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(script, /generator "\$@"/);
    const cursor = env.sb.journalCursor();
    env.sb.execOk(['systemctl', 'daemon-reload']);
    assert.equal(show('gen-web.service', 'LoadState'), 'loaded');
    assert.equal(show('gen-web.service', 'FragmentPath'), '/run/systemd/generator/gen-web.service');
    assert.equal(show('gen-web.service', 'UnitFileState'), 'generated');
    env.sb.execOk(['systemctl', 'start', 'gen-web.service']);
    assert.equal(await waitHttp(30_000), 200, 'the generated unit serves');
    // A container like any other: podgen ps lists it (a definition's, from the generator's directory).
    const rows = JSON.parse(inside(['ps', '--format', 'json']).stdout) as Array<{ unit: string; origin: string; active: string }>;
    assert.deepEqual(rows.filter((x) => x.unit === 'gen-web.service').map((x) => `${x.origin}:${x.active}`), ['definition:active']);
    const rm = inside(['rm', '-f', 'gen-web']);
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /gen-web is made at every daemon-reload by podgen's generator from \/etc\/podgen\/definitions\/gen-web\.container/);
    // The broken definition is left out, said at its line; the others are not held up by it.
    assert.equal(show('gen-broken.service', 'LoadState'), 'not-found');
    const journal = env.sb.journalSince(cursor);
    assert.match(journal, /^left out \/etc\/podgen\/definitions\/gen-broken\.container:$/m);
    assert.match(env.sb.execOk(['journalctl', '--no-pager', '-o', 'cat', '-t', 'podgen-generator']), /gen-broken\.container/, 'logged under the podgen-generator identifier');
    assert.match(journal, /gen-broken\.container:3: unknown key "Foo" in \[Container\]/);
    // The same unit name from Quadlet's directory: podgen's generator leaves it alone.
    assert.match(journal, /twin\.service is also generated from \/etc\/containers\/systemd\/twin\.container/);
    assert.ok(!fs.existsSync(`/proc/${env.sb.pid}/root/run/systemd/generator/twin.service`), 'podgen wrote no twin.service');
  });

  it('podgen check lists what the generator writes and each broken definition at file:line (exit 65)', function () {
    const r = inside(['check']);
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stdout, /^ok +\/etc\/podgen\/definitions\/gen-web\.container -> gen-web\.service$/m);
    assert.match(r.stdout, /^FAILED +\/etc\/podgen\/definitions\/gen-broken\.container$/m);
    assert.match(r.stdout, /gen-broken\.container:3: unknown key "Foo"/);
    assert.match(r.stderr, /2 of 3 definitions would be left out at boot/);
  });

  it('a sandbox reboot brings the generated unit back (its [Install] is applied by the generator)', async function () {
    assert.ok(fs.existsSync(`/proc/${env.sb.pid}/root/run/systemd/generator/multi-user.target.wants/gen-web.service`), 'the generator linked it into multi-user.target.wants');
    env.sb.reboot();
    assert.equal(await waitHttp(60_000), 200, 'serving again after the reboot, nobody ran podgen up');
    assert.equal(show('gen-web.service', 'ActiveState'), 'active');
  });
});
