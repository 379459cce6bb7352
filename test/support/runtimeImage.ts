// The image podgen-engine tests run: busybox plus pgtest, a tiny static helper
// (test/fixtures/helpers/pgtest.c) for sd_notify and socket activation, in one
// layer with no whiteouts (the sandbox's store sits on overlayfs).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './cli';
import { type BuiltImage, compress, diffIdOf, imageOf, tarOf } from './images';

export function runtimeImage(): BuiltImage {
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
