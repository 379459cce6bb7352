// What the importers do before they write: generate the definitions they
// made, together (so references among them resolve), in a scratch directory.
// What generate refuses is then an import error, said of the definitions by
// their own names; nothing is written.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../decode/decodeContainer';
import { PodgenError } from '../errors';
import type { PlanContext } from '../plan/context';
import { defaultSearchEnv } from '../resolve/searchPaths';
import { generate } from './generate';

/** A scratch directory on a tmpfs where there is one: a check writes and removes a file per definition. */
function scratchDir(): string {
  const shm = '/dev/shm';
  try {
    fs.accessSync(shm, fs.constants.W_OK);
    return fs.mkdtempSync(path.join(shm, 'podgen-check-'));
  } catch {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-check-'));
  }
}

export function checkDefinitionsGenerate(files: ReadonlyArray<{ readonly fileName: string; readonly text: string }>, engine: Engine, ctx: PlanContext, what: string): void {
  const dir = scratchDir();
  try {
    for (const f of files) fs.writeFileSync(path.join(dir, f.fileName), f.text);
    generate({ names: files.map((f) => path.join(dir, f.fileName)), engine, output: undefined, search: { ...defaultSearchEnv(false), cwd: dir }, ctx });
  } catch (e) {
    if (e instanceof PodgenError) {
      const unscratch = (s: string): string => s.split(dir + path.sep).join('');
      const diagnostics = e.data.diagnostics?.map((d) => ({ ...d, file: unscratch(d.file) }));
      throw new PodgenError(`${what} ${files.length === 1 ? 'does' : 'do'} not generate: ${unscratch(e.message)}`, { ...e.data, ...(diagnostics ? { diagnostics } : {}), hint: e.data.hint ?? 'change what it was imported from' });
    }
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
