// The converters' command lines: exit codes and messages (the README's table),
// nothing written on failure, --force to replace, the compose file's errors at
// file:line:column, export of what is not there.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen } from '../support/cli';
import { withTempDir } from '../support/tempDir';

describe('converters on the command line', function () {
  this.timeout(60_000);
  let dir = '';
  withTempDir('podgen-conv-cli-', (d) => (dir = d));
  const env = { PODGEN_NO_VERIFY: '1' };

  it('import run: to stdout, to --output (refusing to replace without --force), refusals with exit 1 naming the flag', function () {
    const out = podgen(['import', 'run', 'docker run -d -p 80:80 --name web nginx:1.25'], { cwd: dir, env });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^Image=docker\.io\/library\/nginx:1\.25$/m);
    assert.match(out.stderr, /^podgen: note: -d: a service runs detached by nature$/m);
    const o = path.join(dir, 'defs');
    assert.equal(podgen(['import', 'run', '--output', o, '--', 'docker', 'run', '--name', 'web', 'nginx:1.25'], { cwd: dir, env }).status, 0);
    assert.ok(fs.existsSync(path.join(o, 'web.container')));
    const again = podgen(['import', 'run', '--output', o, '--', 'docker', 'run', '--name', 'web', 'nginx:1.26'], { cwd: dir, env });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /web\.container exists\n  hint: remove it, choose another --output, or use --force/);
    assert.match(fs.readFileSync(path.join(o, 'web.container'), 'utf8'), /nginx:1\.25/);
    assert.equal(podgen(['import', 'run', '--force', '--output', o, '--', 'docker', 'run', '--name', 'web', 'nginx:1.26'], { cwd: dir, env }).status, 0);
    assert.match(fs.readFileSync(path.join(o, 'web.container'), 'utf8'), /nginx:1\.26/);
    const link = podgen(['import', 'run', 'docker run --link db:db nginx'], { cwd: dir, env });
    assert.equal(link.status, 1);
    assert.match(link.stderr, /^podgen: --link cannot be imported: legacy container links/m);
    assert.equal(link.stdout, '');
    const none = podgen(['import', 'run'], { cwd: dir, env });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no run command given/);
  });

  it('import compose: a bad file is exit 65 with file:line:column and nothing written; a good one writes every definition', function () {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx\n    build: .\n');
    const out = path.join(dir, 'out');
    const bad = podgen(['import', 'compose', '-o', out], { cwd: dir, env });
    assert.equal(bad.status, 65);
    assert.match(bad.stderr, /compose\.yaml:4:5: service "web": build: podgen runs images, it does not build them/);
    assert.equal(fs.existsSync(out), false);
    const skipped = podgen(['import', 'compose', '-o', out, '--skip-unsupported', '--project', 'shop'], { cwd: dir, env });
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stderr, /compose\.yaml:4:5: warning: service "web": build: .*\(left out: --skip-unsupported\)/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['shop-default.network', 'shop-web.container']);
    const missing = podgen(['import', 'compose', '-f', 'nope.yaml', '-o', out], { cwd: dir, env });
    assert.equal(missing.status, 66);
    assert.match(missing.stderr, /compose file .*nope\.yaml does not exist/);
  });

  it('export: a name that is neither a container nor a definition is exit 66; a .network is refused with the reason', function () {
    const r = podgen(['export', 'kube', 'nosuch'], { cwd: dir, env: { ...env, PODGEN_UNIT_DIR: dir } });
    assert.equal(r.status, 66);
    assert.match(r.stderr, /nosuch/);
    fs.writeFileSync(path.join(dir, 'n.network'), '[Network]\n');
    const n = podgen(['export', 'quadlet', './n.network'], { cwd: dir, env: { ...env, PODGEN_UNIT_DIR: dir } });
    assert.equal(n.status, 1);
    assert.match(n.stderr, /n\.network is a \.network; export quadlet takes containers/);
  });
});
