// Every shipped definition, every definition of the test corpus and every
// Quadlet conformance case is generated, installed into a real systemd (the
// nspawn sandbox), daemon-reloaded, and must load cleanly: LoadState=loaded,
// no warning about it in the journal, and a clean `systemd-analyze verify`.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { EXTRA_DROPINS_DIR, SHARED_CASES_DIR } from '../support/quadletCase';
import { type Sandbox, useSandbox } from '../support/sandbox';

const CORPUS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'corpus');
const UNITS_DIR = path.join(REPO_ROOT, 'units');

/** Copy definitions (and their drop-in dirs) into dir. */
function stage(dir: string, files: readonly string[], dropinSources: readonly string[]): string[] {
  const staged: string[] = [];
  for (const file of files) {
    const name = path.basename(file);
    const target = path.join(dir, name);
    fs.copyFileSync(file, target);
    staged.push(target);
    const template = /^([^@]*)@.*(\.container)$/.exec(name);
    const dropinNames = [`${name}.d`, ...(template ? [`${template[1]}@${template[2]}.d`] : [])];
    for (const d of dropinNames) {
      for (const src of [path.dirname(file), ...dropinSources]) {
        const from = path.join(src, d);
        const to = path.join(dir, d);
        if (fs.existsSync(from) && !fs.existsSync(to)) fs.cpSync(from, to, { recursive: true });
      }
    }
  }
  return staged;
}

/** Conformance cases that are meant to produce a unit. */
function conformanceCases(): string[] {
  if (!fs.existsSync(SHARED_CASES_DIR)) return [];
  return fs
    .readdirSync(SHARED_CASES_DIR)
    .filter((f) => f.endsWith('.container'))
    .map((f) => path.join(SHARED_CASES_DIR, f))
    .filter((f) => !/^##\s*assert-failed/m.test(fs.readFileSync(f, 'utf8')));
}

function definitions(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.container')).sort().map((f) => path.join(dir, f));
}

/** Unit names systemd can load for a generated file (a bare template is loaded through an instance). */
function loadableName(unitFile: string): string {
  const name = path.basename(unitFile);
  return name.endsWith('@.service') ? name.replace('@.service', '@test.service') : name;
}

/**
 * Complaints systemd 252 makes about a conformance case's own input, not about
 * anything podgen adds: each is named, and any other complaint still fails.
 */
const EXPECTED_COMPLAINTS: ReadonlyArray<{ readonly unit: string; readonly pattern: RegExp; readonly why: string }> = [
  { unit: 'install.service', pattern: /Unknown key '?UpheldBy'? in section \[?Install\]?, ignoring/, why: 'UpheldBy= is newer than systemd 252' },
];

function unexpected(lines: readonly string[]): string[] {
  return lines.filter((l) => !EXPECTED_COMPLAINTS.some((c) => l.includes(c.unit) && c.pattern.test(l)));
}

interface Installed {
  readonly generated: string[];
  readonly show: string;
  readonly journal: string;
}

/** Generate files with one engine into the sandbox, reload, and make systemd load every unit. */
function install(sb: Sandbox, engine: string, files: readonly string[], cwd: string): Installed {
  const cursor = sb.journalCursor();
  const r = podgen(['generate', '--engine', engine, '--format', 'json', '--output', sb.unitDir, ...files], { cwd });
  assert.equal(r.status, 0, `generate --engine ${engine} failed:\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as { written: string[] };
  const generated = out.written.filter((w) => w.endsWith('.service') && path.dirname(w) === sb.unitDir && !fs.lstatSync(w).isSymbolicLink());
  sb.execOk(['systemctl', 'daemon-reload']);
  // Units load lazily: asking for their properties makes systemd parse them (and log any complaint).
  const show = sb.execOk(['systemctl', 'show', '--property', 'Id,LoadState,LoadError', ...generated.map(loadableName)]);
  return { generated, show, journal: sb.journalSince(cursor) };
}

function uninstall(sb: Sandbox, written: readonly string[]): void {
  for (const w of written) fs.rmSync(w, { force: true });
  for (const d of fs.readdirSync(sb.unitDir)) {
    const full = path.join(sb.unitDir, d);
    if (!/\.(wants|requires|upholds)$/.test(d)) continue;
    for (const l of fs.readdirSync(full)) {
      const link = path.join(full, l);
      if (!fs.existsSync(link)) fs.rmSync(link, { force: true }); // dangling: pointed at a removed unit
    }
  }
  for (const d of fs.readdirSync(sb.unitDir)) {
    const full = path.join(sb.unitDir, d);
    if (fs.lstatSync(full).isSymbolicLink() && !fs.existsSync(full)) fs.rmSync(full, { force: true });
  }
  sb.execOk(['systemctl', 'daemon-reload']);
}

const ENGINES: ReadonlyArray<{ readonly engine: string; readonly sources: () => string[] }> = [
  { engine: 'podgen', sources: () => [...definitions(UNITS_DIR), ...definitions(CORPUS_DIR)] },
  { engine: 'podman', sources: () => [...definitions(UNITS_DIR), ...definitions(CORPUS_DIR), ...conformanceCases()] },
];

for (const { engine, sources } of ENGINES) {
  describe(`--engine ${engine} units in a real systemd (nspawn sandbox)`, function () {
    this.timeout(300_000);
    const env = useSandbox('podgen-corpus-');
    let sb: Sandbox;
    let files: string[];
    let result: Installed;

    before(function () {
      sb = env.sb;
      files = stage(env.staging, sources(), [EXTRA_DROPINS_DIR]);
      result = install(sb, engine, files, env.staging);
    });

    after(function () {
      if (result) uninstall(sb, result.generated);
    });

    it('generates a unit for every definition', function () {
      assert.equal(result.generated.length, files.length);
    });

    it('systemd loads every unit (LoadState=loaded)', function () {
      const blocks = result.show.trim().split(/\n\n+/);
      assert.equal(blocks.length, result.generated.length);
      assert.deepEqual(blocks.filter((b) => !b.includes('LoadState=loaded')), []);
    });

    it('systemd logs no warning about any of them', function () {
      const names = result.generated.map((g) => path.basename(g).replace('@.service', '@'));
      const mentions = result.journal.split('\n').filter((line) => names.some((n) => line.includes(n)));
      assert.deepEqual(unexpected(mentions), []);
    });

    if (engine === 'podman') {
      it('the journal check sees systemd complaints (the known one about a case\'s own input)', function () {
        for (const c of EXPECTED_COMPLAINTS) {
          assert.ok(result.journal.split('\n').some((l) => l.includes(c.unit) && c.pattern.test(l)), `expected: ${c.why}`);
        }
      });
    }

    it('systemd-analyze verify accepts every unit', function () {
      const args = result.generated.map((g) => (g.endsWith('@.service') ? loadableName(g) : `/etc/systemd/system/${path.basename(g)}`));
      const r = sb.exec(['systemd-analyze', 'verify', ...args], 120_000);
      const complaints = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.deepEqual(unexpected(complaints), []);
    });
  });
}
