// `podgen import run`: a docker/podman run line -> a .container definition,
// proven by generating it before anything is written. `podgen run -d` makes
// its containers' definitions the same way (commands/runDetached.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../decode/decodeContainer';
import { PodgenError } from '../errors';
import { writeAtomic } from '../files';
import { importRun, type ImportedRun, runWords } from '../import/importRun';
import type { PlanContext } from '../plan/context';
import { renderDefinition } from '../render/definitionText';
import { DEFINITION_EXT } from '../resolve/unitName';
import { checkDefinitionsGenerate } from './checkDefinitions';
import { configuredShortNameRegistry } from '../image/pull';

export interface ImportRunRequest {
  /** One shell line, or the words of the command (docker|podman run FLAGS IMAGE [CMD...]). */
  readonly input: readonly string[];
  readonly engine: Engine;
  readonly ctx: PlanContext;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** See ImportOptions.anonymousVolumePrefix (podgen run -d). */
  readonly anonymousVolumePrefix?: string;
}

export interface ImportRunResult {
  readonly imported: ImportedRun;
  readonly fileName: string;
  readonly text: string;
}

/** A shell-safe rendering of the words, for the definition's header comment. */
function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Import, render and check by generating; nothing is written. */
/** What `podgen run -d` adds to an imported definition. */
export interface DefinitionExtras {
  readonly unit?: ReadonlyArray<readonly [string, string]>;
  readonly service?: ReadonlyArray<readonly [string, string]>;
  readonly xPodgen?: ReadonlyArray<readonly [string, string]>;
}

export function importRunLine(req: ImportRunRequest, extra?: DefinitionExtras): ImportRunResult {
  const words = runWords(req.input, req.env);
  const imported = importRun(words, { engine: req.engine, cwd: req.cwd, env: req.env, shortNameRegistry: configuredShortNameRegistry(req.env), ...(req.anonymousVolumePrefix !== undefined ? { anonymousVolumePrefix: req.anonymousVolumePrefix } : {}) });
  const name = imported.name;
  let text: string;
  try {
    text = renderDefinition({
      comments: [`Imported by podgen from: ${req.input.length === 1 ? (req.input[0] as string) : commandLine(req.input)}`, ...imported.notes.map((n) => `note: ${n}`)],
      unit: extra?.unit ?? [['Description', `${name} (imported from a run command)`]],
      container: imported.assignments,
      ...(extra?.xPodgen ? { extra: extra.xPodgen } : {}),
      ...(extra?.service ? { service: extra.service } : {}),
    });
  } catch (e) {
    throw new PodgenError(`cannot write the definition: ${(e as Error).message}`, { kind: 'usage', hint: 'change that value in the run command' });
  }
  const fileName = `${name}${DEFINITION_EXT}`;
  checkDefinitionsGenerate([{ fileName, text }], req.engine, req.ctx, 'the imported definition');
  return { imported, fileName, text };
}

/** Write the definition into DIR (refusing to replace another file unless force). */
export function writeImported(result: ImportRunResult, dir: string, force: boolean): string {
  const file = path.join(dir, result.fileName);
  if (fs.existsSync(file) && !force) throw new PodgenError(`${file} exists`, { kind: 'usage', hint: 'remove it, choose another --output, or use --force to replace it' });
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(file, result.text);
  return file;
}
