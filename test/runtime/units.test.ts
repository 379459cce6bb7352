// podgen-engine units for real: the sandbox's systemd runs ExecStartPre
// `podgen prepare` (pulling from the local registry), then runc, then
// `podgen cleanup`. Images are built offline: busybox plus pgtest, a tiny
// static helper (test/fixtures/helpers/pgtest.c) for sd_notify and socket
// activation.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { compress, diffIdOf, imageOf, pushImage, tarOf } from '../support/images';
import { TestRegistry } from '../support/registry';
import { type Sandbox, useSandbox } from '../support/sandbox';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** busybox + pgtest in one layer. */
function runtimeImage() {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgtest-')), 'pgtest');
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', out, path.join(REPO_ROOT, 'test/fixtures/helpers/pgtest.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `building the pgtest helper: ${cc.stderr}`);
  const tar = tarOf({
    'bin/busybox': { copy: '/bin/busybox' },
    'bin/sh': { symlink: 'busybox' },
    'bin/pgtest': { copy: out },
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/srv:/bin/sh\n',
    'etc/group': 'root:x:0:\nwww:x:33:\n',
    'srv/.keep': '',
  });
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return imageOf([compress(tar, 'gzip')], [diffIdOf(tar)]);
}

export function sandboxEnv(sb: Sandbox, defs: string): NodeJS.ProcessEnv {
  return {
    DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sb.busSocket}`,
    PODGEN_UNIT_DIR: sb.unitDir,
    PODGEN_JOURNAL_ROOT: `/proc/${sb.pid}/root`,
    PODGEN_STATE_DIR: path.join(sb.root, 'var/lib'),
    QUADLET_UNIT_DIRS: defs,
  };
}

describe('podgen engine: containers run by runc under systemd (sandbox)', function () {
  this.timeout(180_000);
  const env = useSandbox('podgen-rt-');
  let reg: TestRegistry;
  let defs: string;
  let image: string;
  const run = (args: string[]) => podgen(args, { cwd: defs, env: sandboxEnv(env.sb, defs) });
  const show = (unit: string, props: string[]): Record<string, string> => {
    const out = env.sb.exec(['systemctl', 'show', unit, ...props.map((p) => `--property=${p}`)]).stdout;
    return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const define = (name: string, body: string): void => fs.writeFileSync(path.join(defs, `${name}.container`), `[Container]\nImage=${image}\n${body}`);
  const http = (port: number, file = ''): { code: number; body: string } => {
    const r = spawnSync('curl', ['-s', '-m', '5', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/${file}`], { encoding: 'utf8' });
    const lines = r.stdout.split('\n');
    return { code: Number(lines.pop() || 0), body: lines.join('\n') };
  };

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/rt', '1', runtimeImage());
    image = `${reg.address}/test/rt:1`;
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
  });
  after(function () {
    reg?.stop();
  });

  it('busybox httpd serves a file from a bind volume through a published port; stop; start again', async function () {
    const port = await freePort();
    const www = path.join(env.staging, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from a bind volume\n');
    define('web', `Exec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nPublishPort=127.0.0.1:${port}:80\nStopTimeout=1\n\n[Install]\nWantedBy=multi-user.target\n`);
    const up = run(['up', 'web']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.deepEqual(http(port, 'index.html'), { code: 200, body: 'hello from a bind volume\n' });
    const stop = run(['stop', 'web']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(http(port).code, 0);
    const start = run(['start', 'web']);
    assert.equal(start.status, 0, start.stderr + start.stdout);
    assert.equal(http(port, 'index.html').code, 200);
  });
});
