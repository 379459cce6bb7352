// `podgen import compose` and `podgen up/down -f compose.yaml`: a compose
// file (and the .env beside it) -> definitions, proven by generating them all
// together before any is written; written all at once or not at all.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import type { Engine } from '../decode/decodeContainer';
import { definitionError, type Diagnostic, PodgenError } from '../errors';
import { readRegularFile, refusalMessage, writeAtomic } from '../files';
import { configuredShortNameRegistry } from '../image/pull';
import { loadCompose } from '../import/composeFile';
import { composeToDefinitions, projectName } from '../import/composeProject';
import type { PlanContext } from '../plan/context';
import { renderDefinition, renderResourceDefinition } from '../render/definitionText';
import { checkDefinitionsGenerate } from './checkDefinitions';

/** The file names docker compose looks for, in its order. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** Compose files are small; a bigger one is refused before it is read. */
const MAX_COMPOSE_BYTES = 4 * 1024 * 1024;

export interface ImportComposeRequest {
  /** The compose file, or undefined: the first of COMPOSE_FILE_NAMES in cwd. */
  readonly file: string | undefined;
  readonly project: string | undefined;
  readonly engine: Engine;
  readonly ctx: PlanContext;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly profiles: readonly string[];
  readonly skipUnsupported: boolean;
}

export interface ImportComposeResult {
  readonly file: string;
  readonly project: string;
  readonly files: ReadonlyArray<{ readonly fileName: string; readonly text: string }>;
  readonly warnings: readonly Diagnostic[];
  readonly inactive: readonly string[];
}

export function findComposeFile(file: string | undefined, cwd: string): string {
  if (file !== undefined) return path.resolve(cwd, file);
  const found = COMPOSE_FILE_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
  if (!found) throw new PodgenError(`no compose file in ${cwd}`, { kind: 'not-found', hint: `name one with -f, or create ${COMPOSE_FILE_NAMES[0]}` });
  return found;
}

export function importCompose(req: ImportComposeRequest): ImportComposeResult {
  const file = findComposeFile(req.file, req.cwd);
  const read = readRegularFile(file, MAX_COMPOSE_BYTES);
  if (!read.ok) throw new PodgenError(refusalMessage(file, 'compose file', read.refusal), { kind: read.refusal.kind === 'missing' ? 'not-found' : 'usage' });
  const dir = path.dirname(file);
  // Variables: the environment first, then .env beside the file (docker compose's order).
  const dotEnvFile = path.join(dir, '.env');
  const dotEnv = fs.existsSync(dotEnvFile) ? parseDotEnv(fs.readFileSync(dotEnvFile)) : {};
  const env = { ...dotEnv, ...req.env };
  const loaded = loadCompose(read.bytes.toString('utf8'), file, env);
  if (!loaded.source) throw definitionError(loaded.diagnostics);
  const named = loaded.source.data.name;
  const project = projectName(req.project ?? env.COMPOSE_PROJECT_NAME ?? (typeof named === 'string' ? named : path.basename(dir)));
  const profiles = req.profiles.length ? req.profiles : (env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean);
  const imported = composeToDefinitions(loaded.source, { project, engine: req.engine, dir, env, profiles, skipUnsupported: req.skipUnsupported, shortNameRegistry: configuredShortNameRegistry(req.env) });
  if (imported.diagnostics.some((d) => d.severity === 'error')) throw definitionError(imported.diagnostics);
  if (imported.definitions.length === 0) throw new PodgenError(`${file} has no service to import${imported.inactive.length ? ` (${imported.inactive.join(', ')} need a --profile)` : ''}`, { kind: 'usage' });
  let files: Array<{ fileName: string; text: string }>;
  try {
    files = imported.definitions.map((d) => ({
      fileName: d.fileName,
      text: d.kind === 'container' ? renderDefinition({ comments: d.comments, unit: d.unit, container: d.assignments, extra: d.extra }) : renderResourceDefinition(d.kind === 'network' ? 'Network' : 'Volume', { comments: d.comments, unit: d.unit, entries: d.entries, extra: d.extra }),
    }));
  } catch (e) {
    throw new PodgenError(`cannot write the definitions: ${(e as Error).message}`, { kind: 'usage', hint: `change that value in ${file}` });
  }
  checkDefinitionsGenerate(files, req.engine, req.ctx, 'the imported definitions');
  return { file, project, files, warnings: imported.diagnostics.filter((d) => d.severity === 'warning'), inactive: imported.inactive };
}

/**
 * Put the definitions into DIR. With replace (up -f's project directory) DIR becomes exactly
 * these files, swapped in at once; otherwise files of the same name are refused unless force.
 */
export function writeComposeDefinitions(files: ReadonlyArray<{ fileName: string; text: string }>, dir: string, opts: { readonly force: boolean; readonly replace: boolean }): string[] {
  if (opts.replace) {
    const next = `${dir}.new-${process.pid}`;
    const old = `${dir}.old-${process.pid}`;
    fs.rmSync(next, { recursive: true, force: true });
    fs.mkdirSync(next, { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(next, f.fileName), f.text);
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(next, dir);
    fs.rmSync(old, { recursive: true, force: true });
    return files.map((f) => path.join(dir, f.fileName));
  }
  const taken = files.map((f) => path.join(dir, f.fileName)).filter((f) => fs.existsSync(f));
  if (taken.length > 0 && !opts.force) throw new PodgenError(`${taken.join(', ')} ${taken.length === 1 ? 'exists' : 'exist'}`, { kind: 'usage', hint: 'remove them, choose another --output, or use --force to replace them' });
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) writeAtomic(path.join(dir, f.fileName), f.text);
  return files.map((f) => path.join(dir, f.fileName));
}
