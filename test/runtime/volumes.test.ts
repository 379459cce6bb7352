// Named volumes with the podgen engine, for real in the sandbox: a .volume
// unit's volume keeps its data across down/up, is owned as User=/Group= say,
// a tmpfs device volume is mounted for its containers and unmounted with its
// unit, Copy=false leaves it empty, a missing device is a precise error, and
// podgen volume ls/inspect/rm/prune never remove one in use.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { pushImage } from '../support/images';
import { runtimeImage } from '../support/runtimeImage';
import { TestRegistry } from '../support/registry';
import { hostSideEnv, useSandbox } from '../support/sandbox';

describe('podgen engine: named volumes (sandbox)', function () {
  this.timeout(300_000);
  const env = useSandbox('podgen-vol-');
  let reg: TestRegistry;
  let defs: string;
  let image: string;
  const run = (args: string[]) => podgen(args, { cwd: defs, env: hostSideEnv(env.sb, defs) });
  const inside = (args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args], 120_000);
  const write = (file: string, body: string): void => fs.writeFileSync(path.join(defs, file), body);
  const sh = (container: string, script: string) => inside(['exec', container, '/bin/busybox', 'sh', '-c', script]);

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/vol', '1', runtimeImage());
    image = `${reg.address}/test/vol:1`;
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
  });
  after(function () {
    reg?.stop();
    inside(['volume', 'rm', 'systemd-data', 'systemd-scratch', 'systemd-empty']);
  });

  it('a .volume keeps a file across down and up, owned as User=/Group= say; volume ls/inspect show it; rm refuses it in use; prune spares it', function () {
    write('data.volume', '[Volume]\nUser=1234\nGroup=4321\nLabel=app=vol-test\n');
    write('writer.container', `[Container]\nImage=${image}\nVolume=data.volume:/data\nNetwork=none\nExec=/bin/busybox sleep 600\nStopTimeout=1\n`);
    const up = run(['up', 'writer']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      assert.equal(sh('writer', 'echo kept > /data/file && stat -c %u:%g /data').stdout.trim(), '1234:4321');
      const ls = JSON.parse(inside(['volume', 'ls', '--json']).stdout) as Array<{ name: string; containers: string[]; settings?: { labels: Record<string, string> } }>;
      const row = ls.find((r) => r.name === 'systemd-data');
      assert.deepEqual(row?.containers, ['writer']);
      assert.equal(row?.settings?.labels.app, 'vol-test');
      const rm = inside(['volume', 'rm', 'systemd-data']);
      assert.notEqual(rm.status, 0, 'a volume in use is not removed');
      assert.match(rm.stderr, /volume systemd-data is in use by writer/);
    } finally {
      assert.equal(run(['down', 'writer', 'data.volume']).status, 0);
    }
    assert.equal(run(['up', 'writer']).status, 0);
    try {
      assert.equal(sh('writer', 'cat /data/file').stdout, 'kept\n', 'the data outlived down and the new container');
    } finally {
      run(['down', 'writer']);
    }
    // Installed units still name it (data.volume stays installed): prune spares it.
    assert.equal(inside(['volume', 'prune']).stdout.includes('systemd-data'), false);
    run(['down', 'data.volume']);
    assert.equal(fs.readFileSync(path.join(env.sb.root, 'var/lib/podgen/volumes/systemd-data/_data/file'), 'utf8'), 'kept\n', 'down keeps the data');
  });

  it('a tmpfs device volume is mounted for its containers and unmounted with its unit; Copy=false leaves a volume empty where the image has files', function () {
    write('scratch.volume', '[Volume]\nDevice=tmpfs\nType=tmpfs\nOptions=size=2m,mode=0770\n');
    write('empty.volume', '[Volume]\nCopy=false\n');
    write('user.container', `[Container]\nImage=${image}\nVolume=scratch.volume:/scratch\nVolume=empty.volume:/etc\nNetwork=none\nExec=/bin/busybox sleep 600\nStopTimeout=1\n`);
    const up = run(['up', 'user']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
    try {
      assert.match(sh('user', 'grep " /scratch " /proc/mounts').stdout, /^tmpfs \/scratch tmpfs .*size=2048k/m);
      assert.equal(sh('user', 'ls /etc | grep -v -e hosts -e hostname -e resolv.conf | wc -l').stdout.trim(), '0', 'Copy=false: nothing copied from the image');
    } finally {
      run(['down', 'user', 'scratch.volume', 'empty.volume']);
    }
    assert.equal(env.sb.exec(['findmnt', '-rn', '/var/lib/podgen/volumes/systemd-scratch/_data']).status, 1, 'unmounted when its unit stopped');
  });

  it('a volume whose device does not exist: the unit fails with the device named, and nothing is created', function () {
    write('nodev.volume', '[Volume]\nDevice=/dev/podgen-no-such-disk\nType=ext4\n');
    const up = run(['up', 'nodev.volume']);
    assert.notEqual(up.status, 0);
    assert.match(`${up.stdout}${up.stderr}`, /the volume's device \/dev\/podgen-no-such-disk does not exist/);
    assert.equal(fs.existsSync(path.join(env.sb.root, 'var/lib/podgen/volumes/systemd-nodev')), false);
    run(['down', 'nodev.volume']);
  });
});
