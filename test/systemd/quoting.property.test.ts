// Property: arbitrary environment values, command arguments and paths written
// into a definition (with render/escape.ts's definitionWord) come back byte for
// byte from the real systemd, read over D-Bus as the ExecStart argv
// it will execute. This exercises every quoting layer: the definition parser,
// Quadlet-style word splitting, podgen's Exec-line escaping and systemd's own
// parser and specifier expansion.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { firstInvalidCodePoint } from '../../src/parse/systemdText';
import { definitionWord, literal } from '../../src/render/escape';
import { podgen } from '../support/cli';
import { type Sandbox, useSandbox } from '../support/sandbox';

interface Case {
  readonly envKey: string;
  readonly envValue: string;
  readonly args: readonly string[];
  readonly hostPath: string;
  readonly containerPath: string;
  readonly workdir: string;
}

// NUL cannot be in an argv; noncharacters are refused by systemd (and by podgen's parser, tested elsewhere).
const noNul = (s: string): boolean => !s.includes('\0') && firstInvalidCodePoint(s) === undefined;
const anyText = fc.string({ unit: 'binary', maxLength: 24 }).filter(noNul);
// Path segments: anything but "/", ":" (the Volume= separator), line breaks and NUL.
const segment = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 10 })
  .filter((s) => noNul(s) && !/[/:\r\n]/.test(s) && s.trim() === s && s !== '.' && s !== '..');
const absPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);

const caseArb: fc.Arbitrary<Case> = fc.record({
  envKey: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/),
  envValue: anyText,
  args: fc.array(anyText, { minLength: 1, maxLength: 3 }),
  hostPath: absPath,
  containerPath: absPath,
  workdir: absPath,
});

/** A definition holding the case's strings; raw (unsplit) values only need systemd's specifier escaping. */
function definition(c: Case): string {
  return [
    '[Container]',
    'Image=docker.io/library/busybox:1.36',
    `Environment=${definitionWord(`${c.envKey}=${c.envValue}`)}`,
    `Exec=${c.args.map(definitionWord).join(' ')}`,
    `Volume=${literal(c.hostPath)}:${literal(c.containerPath)}`,
    `WorkingDir=${literal(c.workdir)}`,
    '',
  ].join('\n');
}

/** systemd resolves "$$" to "$" when it executes the command (systemd.service(5), "Command lines"). */
const atExec = (arg: string): string => arg.replace(/\$\$/g, '$');

function argvOf(sb: Sandbox, unit: string, property: 'ExecStart'): string[] {
  const objectPath = `/org/freedesktop/systemd1/unit/${unit.replace(/[^A-Za-z0-9]/g, (ch) => `_${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
  const out = sb.execOk(['busctl', 'get-property', '--json=short', 'org.freedesktop.systemd1', objectPath, 'org.freedesktop.systemd1.Service', property]);
  const parsed = JSON.parse(out) as { data: Array<[string, string[], ...unknown[]]> };
  const first = parsed.data[parsed.data.length - 1];
  assert.ok(first, `${unit} has no ${property}`);
  return first[1].map(atExec);
}

function containsRun(argv: readonly string[], run: readonly string[]): boolean {
  return argv.some((_, i) => run.every((r, j) => argv[i + j] === r));
}

for (const engine of ['podgen', 'podman'] as const) {
  describe(`quoting round-trip through a real systemd (--engine ${engine})`, function () {
    this.timeout(600_000);
    const env = useSandbox('podgen-prop-');

    it('env values, arguments and paths survive byte-identical (100 random cases)', function () {
      const { sb, staging } = env;
      let batch = 0;
      fc.assert(
        fc.property(fc.array(caseArb, { minLength: 10, maxLength: 10 }), (cases) => {
          batch++;
          const dir = path.join(staging, `b${batch}`);
          fs.mkdirSync(dir);
          const files = cases.map((c, i) => {
            const f = path.join(dir, `prop${engine}${batch}x${i}.container`);
            fs.writeFileSync(f, definition(c));
            return f;
          });
          const r = podgen(['generate', '--engine', engine, '--output', sb.unitDir, ...files], { cwd: dir });
          assert.equal(r.status, 0, r.stderr);
          try {
            sb.execOk(['systemctl', 'daemon-reload']);
            cases.forEach((c, i) => {
              const unit = `${path.basename(files[i] as string, '.container')}.service`;
              const argv = argvOf(sb, unit, 'ExecStart');
              const where = `${unit}: ${JSON.stringify(argv)}`;
              assert.ok(containsRun(argv, ['--env', `${c.envKey}=${c.envValue}`]), `env lost in ${where}`);
              assert.ok(containsRun(argv, ['-v', `${c.hostPath}:${c.containerPath}`]), `volume lost in ${where}`);
              assert.ok(containsRun(argv, ['--workdir', c.workdir]), `workdir lost in ${where}`);
              assert.deepEqual(argv.slice(-c.args.length - 1), ['docker.io/library/busybox:1.36', ...c.args], `args lost in ${where}`);
            });
          } finally {
            for (const f of files) fs.rmSync(path.join(sb.unitDir, `${path.basename(f, '.container')}.service`), { force: true });
          }
        }),
        { numRuns: 10, seed: Number(process.env.PODGEN_FC_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
      );
    });
  });
}
