// The layering rule of docs/architecture.md, checked on the sources: lower
// layers never import upward. The command line (cli/) is the top; commands/
// sit under it; the edges that talk to the world (runtime/, image/, manage/,
// output/) and the pipeline stages never import either; values/ and parse/
// are pure and import no stage at all.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cli';

const SRC = path.join(REPO_ROOT, 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** folder of each src/ module's imports of other src/ modules: [importer folder, imported folder, file]. */
function edges(): Array<{ from: string; to: string; file: string }> {
  const out: Array<{ from: string; to: string; file: string }> = [];
  for (const file of sources(SRC)) {
    const from = path.relative(SRC, file).split(path.sep)[0] as string;
    // Static imports, and dynamic ones (await import('../x')), which are imports all the same.
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^import[^;]*?from '(\.[^']+)';|\bimport\('(\.[^']+)'\)/gms)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), (m[1] ?? m[2]) as string));
      const to = target.includes(path.sep) ? (target.split(path.sep)[0] as string) : target; // top-level files: errors, arrays, ...
      out.push({ from: from.endsWith('.ts') ? from.slice(0, -3) : from, to, file: path.relative(REPO_ROOT, file) });
    }
  }
  return out;
}

/** Folders each folder must not import. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  commands: ['cli'],
  runtime: ['cli', 'commands'],
  image: ['cli', 'commands', 'runtime', 'manage'],
  manage: ['cli', 'commands', 'runtime', 'image'],
  output: ['cli', 'commands', 'runtime', 'manage'],
  plan: ['cli', 'commands', 'manage', 'output'],
  render: ['cli', 'commands', 'manage', 'output', 'runtime', 'image'],
  decode: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan', 'render'],
  resolve: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan', 'render', 'decode'],
  restart: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan'],
  parse: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan', 'render', 'decode', 'resolve', 'restart', 'image', 'values'],
  values: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan', 'render', 'decode', 'resolve', 'restart', 'image', 'parse', 'process'],
  // The converters: pure stages before decode (import) and after plan (export); the commands do their I/O.
  import: ['cli', 'commands', 'manage', 'output', 'runtime', 'plan', 'render', 'export', 'process'],
  export: ['cli', 'commands', 'manage', 'output', 'import', 'process'],
};

describe('layers', function () {
  it('no module imports a layer above its own (cli > commands > runtime, image, manage, output > plan > decode > resolve > parse, values)', function () {
    const all = edges();
    assert.ok(all.length > 100, `only ${all.length} imports found: the scan is broken`);
    const upward = all.filter((e) => FORBIDDEN[e.from]?.includes(e.to)).map((e) => `${e.file} imports ${e.to}/`);
    assert.deepEqual(upward, []);
  });
});
