// Hostile input and hostile places to write: what a careless or malicious
// user can hand `podgen generate` must end in a message and a documented exit
// code (README, "Exit codes"), quickly, with no stack trace and nothing
// half-written.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_DIAGNOSTICS_SHOWN } from '../../src/errors';
import { MAX_DEFINITION_BYTES } from '../../src/resolve/loadDefinition';
import { PODGEN_BIN, podgen, REPO_ROOT } from '../support/cli';
import { withTempDir } from '../support/tempDir';

const GOOD = '[Container]\nImage=docker.io/library/busybox:1.36\n';

/** No JavaScript stack trace, no internal error. */
function assertClean(stderr: string): void {
  assert.doesNotMatch(stderr, /internal error|^\s+at .+:\d+:\d+\)?$/m, stderr);
}

/** Run podgen with a given file descriptor (or a closed one) as its stdout. */
function podgenWithStdout(args: readonly string[], stdout: 'closed' | number): { status: number | null; stderr: string } {
  const r =
    stdout === 'closed'
      ? spawnSync('sh', ['-c', '"$0" "$@" >&-', process.execPath, PODGEN_BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 })
      : spawnSync(process.execPath, [PODGEN_BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', stdout, 'pipe'] });
  return { status: r.status, stderr: r.stderr };
}

describe('podgen generate: hostile input and hostile outputs', function () {
  let dir = '';
  withTempDir('podgen-hostile-', (d) => (dir = d));

  describe('only regular files of sane size are read', function () {
    it('a FIFO as the definition: exit 66 at once, not a hang', function () {
      const fifo = path.join(dir, 'web.container');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const r = podgen(['generate', fifo]);
      assert.equal(r.status, 66, r.stderr);
      assert.match(r.stderr, /web\.container is a FIFO, not a definition: only regular files are read/);
      assertClean(r.stderr);
    });

    it('/dev/zero as the definition, and as a drop-in through a symlink: exit 66, not an exhausted heap', function () {
      const r = podgen(['generate', '/dev/zero']);
      assert.equal(r.status, 66, r.stderr);
      assert.match(r.stderr, /\/dev\/zero is a character device, not a definition/);
      fs.writeFileSync(path.join(dir, 'web.container'), GOOD);
      fs.mkdirSync(path.join(dir, 'web.container.d'));
      fs.symlinkSync('/dev/zero', path.join(dir, 'web.container.d', 'zero.conf'));
      const d = podgen(['generate', path.join(dir, 'web.container')]);
      assert.equal(d.status, 66, d.stderr);
      assert.match(d.stderr, /zero\.conf is a character device, not a drop-in/);
      assertClean(d.stderr);
    });

    it(`a definition over ${MAX_DEFINITION_BYTES} bytes: exit 66 with the limit`, function () {
      const big = path.join(dir, 'big.container');
      fs.writeFileSync(big, `${GOOD}${'# padding padding padding padding\n'.repeat(Math.ceil(MAX_DEFINITION_BYTES / 34) + 1)}`);
      const r = podgen(['generate', big]);
      assert.equal(r.status, 66, r.stderr);
      assert.match(r.stderr, /is larger than 4 MiB, which no definition needs/);
    });

    it('a file that is no unit file at all (a shadow file given by mistake): one error, none of its lines echoed', function () {
      const shadow = path.join(dir, 'shadow');
      fs.writeFileSync(shadow, Array.from({ length: 40 }, (_, i) => `user${i}:$y$j9T$S3CR3T${i}hash:20228:0:99999:7:::`).join('\n'));
      const r = podgen(['generate', shadow]);
      assert.equal(r.status, 65, r.stderr);
      assert.match(r.stderr, /shadow: does not look like a unit file: none of its 40 lines is a \[Section\] header/);
      assert.doesNotMatch(r.stderr, /S3CR3T|user\d/);
      assert.match(r.stderr, /definition rejected \(1 problem\)/);
    });
  });

  describe('size of input does not decide the stack', function () {
    it('150,000 Environment= lines: a clear error about the line systemd could not read, no stack overflow', function () {
      const file = path.join(dir, 'env.container');
      fs.writeFileSync(file, `${GOOD}${Array.from({ length: 150_000 }, (_, i) => `Environment=V${i}=x`).join('\n')}\n`);
      const started = Date.now();
      const r = podgen(['generate', file]);
      assert.equal(r.status, 65, r.stderr);
      assert.match(r.stderr, /the unit's ExecStart= line would be \d+ bytes, more than systemd reads in one line \(1048576\)/);
      assert.match(r.stderr, /EnvironmentFile=/);
      assertClean(r.stderr);
      console.log(`      (${Date.now() - started} ms for 150,000 lines)`);
    });

    it('20,000 Environment= words in one line: a unit, every word in it', function () {
      const file = path.join(dir, 'env.container');
      fs.writeFileSync(file, `${GOOD}Environment=${Array.from({ length: 20_000 }, (_, i) => `V${i}=x`).join(' ')}\n`);
      const r = podgen(['generate', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal((r.stdout.match(/--env V\d+=x/g) ?? []).length, 20_000);
    });
  });

  describe('the error list is capped', function () {
    it('a 100,000-character value: the message quotes its start and end, not all of it', function () {
      const file = path.join(dir, 'long.container');
      fs.writeFileSync(file, `${GOOD}Memory=${'x'.repeat(100_000)}9\n`);
      const r = podgen(['generate', file]);
      assert.equal(r.status, 65, r.stderr);
      assert.ok(r.stderr.length < 2000, `${r.stderr.length} characters of stderr`);
      assert.match(r.stderr, /:3: Memory=: "x+ \[\.\.\. \d+ characters left out \.\.\.\] x+9" is not a size/);
      assertClean(r.stderr);
    });

    it(`${MAX_DIAGNOSTICS_SHOWN + 15} unknown keys: the first ${MAX_DIAGNOSTICS_SHOWN} shown, then how many more`, function () {
      const file = path.join(dir, 'keys.container');
      fs.writeFileSync(file, `${GOOD}${Array.from({ length: MAX_DIAGNOSTICS_SHOWN + 15 }, (_, i) => `Bogus${i}=1`).join('\n')}\n`);
      const r = podgen(['generate', file]);
      assert.equal(r.status, 65, r.stderr);
      assert.equal((r.stderr.match(/unknown key "Bogus\d+"/g) ?? []).length, MAX_DIAGNOSTICS_SHOWN);
      assert.match(r.stderr, /\.\.\. and 15 more/);
      assert.match(r.stderr, new RegExp(`definition rejected \\(${MAX_DIAGNOSTICS_SHOWN + 15} problems\\)`));
    });
  });

  describe('standard output that cannot be written', function () {
    it('>/dev/full: exit 73 with a message, not a trace', function () {
      const full = fs.openSync('/dev/full', 'w');
      try {
        const r = podgenWithStdout(['generate', 'nginx'], full);
        assert.equal(r.status, 73, r.stderr);
        assert.match(r.stderr, /cannot write to standard output: no space left on the device/);
        assertClean(r.stderr);
      } finally {
        fs.closeSync(full);
      }
    });

    it('>&- (stdout closed): exit 73, not a silent 0', function () {
      const r = podgenWithStdout(['generate', 'nginx'], 'closed');
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /standard output is closed: the unit has nowhere to go; nothing was written/);
    });

    it('>/dev/null and a reader that stops early are fine', function () {
      const devnull = fs.openSync('/dev/null', 'w');
      try {
        assert.equal(podgenWithStdout(['generate', 'nginx'], devnull).status, 0);
      } finally {
        fs.closeSync(devnull);
      }
      const r = spawnSync('bash', ['-c', '"$0" "$@" | head -c 10 >/dev/null; exit "${PIPESTATUS[0]}"', process.execPath, PODGEN_BIN, 'generate', 'nginx', 'httpd'], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assertClean(r.stderr);
    });
  });

  describe('--output: all or nothing, wherever it points', function () {
    it('a directory where the second unit goes: exit 73, nothing written, the old first unit intact, no temporary file', function () {
      const out = path.join(dir, 'out');
      fs.mkdirSync(path.join(out, 'b.service'), { recursive: true });
      fs.writeFileSync(path.join(out, 'a.service'), 'OLD\n');
      for (const n of ['a', 'b']) fs.writeFileSync(path.join(dir, `${n}.container`), GOOD);
      const r = podgen(['generate', '--output', out, path.join(dir, 'a.container'), path.join(dir, 'b.container')]);
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /b\.service is a directory, where podgen would write a unit file/);
      assertClean(r.stderr);
      assert.deepEqual(fs.readdirSync(out).sort(), ['a.service', 'b.service']);
      assert.equal(fs.readFileSync(path.join(out, 'a.service'), 'utf8'), 'OLD\n');
    });

    it('under /proc: exit 73 at once (no endless mkdir)', function () {
      const r = podgen(['generate', '--output', '/proc/self/podgen-x/y', 'nginx']);
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /cannot write the output directory/);
      assertClean(r.stderr);
    });

    it('a file as the output directory: exit 73', function () {
      const r = podgen(['generate', '--output', '/dev/null', 'nginx']);
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /output \/dev\/null is not a directory/);
    });

    describe('on file systems of its own (mounted here; needs root)', function () {
      let mnt: string;
      before(function () {
        if (process.getuid?.() !== 0) {
          console.log('      (skipped: mounting a read-only or full file system needs root; CI runs as root)');
          this.skip();
        }
      });
      beforeEach(function () {
        mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-mnt-'));
      });
      afterEach(function () {
        spawnSync('umount', [mnt]);
        fs.rmSync(mnt, { recursive: true, force: true });
      });
      const mount = (options: string): void => {
        const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      };

      it('a read-only file system (EROFS): exit 73 naming it, nothing written', function () {
        mount('ro,size=1m');
        const r = podgen(['generate', '--output', mnt, 'nginx']);
        assert.equal(r.status, 73, r.stderr);
        assert.match(r.stderr, /read-only file system/i);
        assertClean(r.stderr);
        assert.deepEqual(fs.readdirSync(mnt), []);
      });

      it('a full file system (ENOSPC) half-way through: exit 73, the units already there intact, no temporary file', function () {
        mount('size=16k');
        const old = path.join(mnt, 'a.service');
        fs.writeFileSync(old, 'OLD\n');
        // Fill what is left, so that the new units cannot be written.
        spawnSync('sh', ['-c', `dd if=/dev/zero of=${mnt}/filler bs=1k count=64 2>/dev/null`]);
        for (const n of ['a', 'b']) fs.writeFileSync(path.join(dir, `${n}.container`), GOOD);
        const r = podgen(['generate', '--output', mnt, path.join(dir, 'a.container'), path.join(dir, 'b.container')]);
        assert.equal(r.status, 73, r.stderr);
        assert.match(r.stderr, /no space left|disk full|ENOSPC/i);
        assertClean(r.stderr);
        assert.equal(fs.readFileSync(old, 'utf8'), 'OLD\n');
        assert.deepEqual(fs.readdirSync(mnt).sort(), ['a.service', 'filler']);
      });
    });
  });
});
