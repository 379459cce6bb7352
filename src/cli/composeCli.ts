// Compose files on the command line: `podgen import compose`, and the
// compose file that `up -f` and `down -f` take instead of a directory.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../decode/decodeContainer';
import { formatDiagnostic, PodgenError } from '../errors';
import { composeProjectDir } from '../resolve/searchPaths';
import { definitionFilesIn } from './shared';

export interface ImportComposeArgs {
  readonly file?: string;
  readonly project?: string;
  readonly output: string;
  readonly engine: Engine;
  readonly force: boolean;
  readonly 'skip-unsupported': boolean;
  readonly profile: string[];
}

async function imported(args: { file?: string; project?: string; engine: Engine; 'skip-unsupported': boolean; profile: string[] }, user: boolean): Promise<import('../commands/importCompose').ImportComposeResult> {
  const { importCompose } = await import('../commands/importCompose');
  const { machineContext } = await import('../commands/generate');
  const r = importCompose({ file: args.file, project: args.project, engine: args.engine, ctx: machineContext(user), env: process.env, cwd: process.cwd(), profiles: args.profile, skipUnsupported: args['skip-unsupported'] });
  for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  if (r.inactive.length) process.stderr.write(`podgen: left out by their profiles: ${r.inactive.join(', ')} (--profile NAME enables them)\n`);
  return r;
}

export async function runImportCompose(args: ImportComposeArgs): Promise<void> {
  const { writeComposeDefinitions } = await import('../commands/importCompose');
  const r = await imported(args, false);
  const written = writeComposeDefinitions(r.files, args.output, { force: args.force, replace: false });
  for (const w of written) process.stderr.write(`wrote ${w}\n`);
  process.stderr.write(`project ${r.project}: ${r.files.length} definitions; podgen up -f ${args.output} brings it up\n`);
}

/** Whether -f names a compose file (a file; a directory holds definitions). */
export function isComposeFile(f: string): boolean {
  try {
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}

/**
 * up -f compose.yaml: the project's definitions, imported into its own directory (replaced as a
 * whole), as paths; for a dry run into a scratch directory (so the unit diffs also show their
 * SourcePath= there).
 */
export async function composeDefinitions(args: { file: string; engine: Engine; user: boolean; dryRun: boolean }): Promise<string[]> {
  const { writeComposeDefinitions } = await import('../commands/importCompose');
  const r = await imported({ file: args.file, engine: args.engine, 'skip-unsupported': false, profile: [] }, args.user);
  const dir = args.dryRun ? fs.mkdtempSync(path.join(os.tmpdir(), `podgen-dry-${r.project}-`)) : composeProjectDir(args.user, r.project);
  return writeComposeDefinitions(r.files, dir, { force: true, replace: !args.dryRun });
}

/** down -f compose.yaml: the units of the project's definitions, and its directory (removed once they are down). */
export async function composeUnits(file: string, user: boolean): Promise<{ names: string[]; dir: string }> {
  const { findComposeFile } = await import('../commands/importCompose');
  const { loadCompose } = await import('../import/composeFile');
  const { projectName } = await import('../import/composeProject');
  const f = findComposeFile(file, process.cwd());
  // Only the project's name is needed: it names the directory up -f wrote.
  const loaded = loadCompose(fs.readFileSync(f, 'utf8'), f, process.env);
  const named = loaded.source?.data.name;
  const project = projectName(process.env.COMPOSE_PROJECT_NAME ?? (typeof named === 'string' ? named : path.basename(path.dirname(f))));
  const dir = composeProjectDir(user, project);
  if (!fs.existsSync(dir)) throw new PodgenError(`compose project ${project} is not up (no ${dir})`, { kind: 'not-found', hint: `podgen up -f ${file} brings it up` });
  return { names: definitionFilesIn(dir), dir };
}
