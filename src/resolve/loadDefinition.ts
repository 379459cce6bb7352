// I/O edge of the pipeline: find a definition by name or path, read it and
// its drop-ins, and read the Quadlet files it refers to. Everything after
// this (decode, plan, render) is pure.

import { appendAll } from '../arrays';
import * as fs from 'node:fs';
import { readRegularFile, refusalMessage } from '../files';
import * as path from 'node:path';
import { type Diagnostic, PodgenError } from '../errors';
import { looksBinary, parseUnitText, type Section, type UnitFile } from '../parse/parseUnitFile';
import { listDir } from './readIfExists';
import { definitionKind, type QuadletKind, quadletServiceName, type RelatedUnit, referencedUnits, relatedUnitInfo } from './relatedUnits';
import { lookup, lookupBooleanOr } from '../parse/lookup';
import { quadletDirs, type SearchEnv, searchDirs } from './searchPaths';
import { DEFINITION_EXT, dropinDirNames, invalidNameReason, templateParts } from './unitName';

export interface LoadedDefinition {
  readonly kind: QuadletKind;
  /** The definition with its drop-ins merged in. */
  readonly unit: UnitFile;
  readonly sourcePath: string;
  readonly dropins: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  /** Referenced Quadlet files ("db.network") and the names they stand for. */
  readonly related: ReadonlyMap<string, RelatedUnit>;
  /** For a .pod: the services of the containers that name it in Pod= and start with it. */
  readonly podMembers: readonly string[];
}

interface Located {
  readonly file: string;
  /** The definition's own file name; differs from basename(file) for an instance of a template. */
  readonly filename: string;
}

/** Resolve a NAME or FILE argument to a definition file, or fail listing every place looked in. */
export function locateDefinition(arg: string, env: SearchEnv): Located {
  const asPath = path.resolve(env.cwd, arg);
  const kind = definitionKind(arg);
  const looksLikePath = arg.includes('/') || kind !== undefined;
  if (looksLikePath && (fs.existsSync(asPath) || arg.includes('/'))) {
    return { file: asPath, filename: path.basename(asPath) };
  }
  // NAME is a container's; "db.network", "data.volume", ... name the other kinds.
  const ext = kind ? `.${kind}` : DEFINITION_EXT;
  const name = arg.endsWith(ext) ? arg.slice(0, -ext.length) : arg;
  const bad = invalidNameReason(name);
  if (bad) {
    throw new PodgenError(`"${arg}" is not a valid definition name: ${bad}`, {
      kind: 'usage',
      hint: 'give a name like nginx, web@1 or db.network, or a path to a definition file',
    });
  }
  const filename = `${name}${ext}`;
  const { prefix, instance, isTemplate } = templateParts(filename);
  const candidates = [filename];
  if (isTemplate && instance !== '') candidates.push(`${prefix}@${ext}`);
  const looked: string[] = [];
  for (const dir of searchDirs(env)) {
    for (const candidate of candidates) {
      const file = path.join(dir, candidate);
      looked.push(file);
      if (fs.existsSync(file)) return { file, filename };
    }
  }
  throw new PodgenError(`no definition named "${name}" found`, {
    kind: 'not-found',
    hint: `looked in:\n    ${looked.join('\n    ')}\n  give a path, or put ${filename} in one of those directories`,
  });
}

/** Definitions and drop-ins are small text files; anything this big was named by mistake. */
export const MAX_DEFINITION_BYTES = 4 * 1024 * 1024;

function readText(file: string, role: string): { text?: string; diagnostic?: Diagnostic } {
  const read = readRegularFile(file, MAX_DEFINITION_BYTES);
  if (!read.ok) {
    const r = read.refusal;
    const message = refusalMessage(file, role, r);
    switch (r.kind) {
      case 'missing':
        throw new PodgenError(message, { kind: 'not-found', file });
      case 'directory':
      case 'not-regular':
        throw new PodgenError(message, { kind: 'not-found', file, hint: 'give the path of a .container file' });
      case 'too-big':
        throw new PodgenError(`${message}, which no definition needs`, { kind: 'not-found', file, hint: 'check the path; move long lists of variables to an EnvironmentFile=' });
      case 'unreadable':
        throw new PodgenError(message, { kind: 'not-found', file, hint: r.code === 'EACCES' ? 'check the file permissions, or run as root' : undefined });
      default: {
        const never: never = r;
        throw new Error(`unhandled refusal ${String(never)}`);
      }
    }
  }
  const bytes = read.bytes;
  if (looksBinary(bytes)) {
    return {
      diagnostic: {
        severity: 'error',
        file,
        message: `${role} is not a text file (it contains NUL bytes or invalid UTF-8)`,
        hint: 'definitions are UTF-8 text in systemd unit-file syntax',
      },
    };
  }
  return { text: bytes.toString('utf8') };
}

/** Append the drop-in's sections to the unit's (systemd and Quadlet merge this way). */
function mergeInto(sections: Section[], add: readonly Section[]): void {
  for (const s of add) {
    const existing = sections.find((x) => x.name === s.name);
    if (existing) appendAll(existing.entries, s.entries);
    else sections.push({ ...s, entries: [...s.entries] });
  }
}

/** Directory listings, read once per process: generating 1,000 definitions must not stat 16,000 paths. */
const listings = new Map<string, ReadonlySet<string>>();
function listing(dir: string): ReadonlySet<string> {
  let names = listings.get(dir);
  if (!names) {
    names = new Set(listDir(dir));
    listings.set(dir, names);
  }
  return names;
}

/** Drop-in files for a definition, in merge order (alphabetical by file name; specific dirs shadow broad ones). */
export function findDropins(filename: string, dirs: readonly string[]): string[] {
  const chosen = new Map<string, string>();
  for (const dirName of dropinDirNames(filename)) {
    for (const dir of dirs) {
      if (!listing(dir).has(dirName)) continue;
      const d = path.join(dir, dirName);
      for (const n of listDir(d)) {
        if (n.endsWith('.conf') && !chosen.has(n)) chosen.set(n, path.join(d, n));
      }
    }
  }
  return [...chosen.keys()].sort().map((n) => chosen.get(n) as string);
}

export function loadDefinition(arg: string, env: SearchEnv): LoadedDefinition {
  const located = locateDefinition(arg, env);
  return loadDefinitionFile(located.file, located.filename, env);
}

export function loadDefinitionFile(file: string, filename: string, env: SearchEnv): LoadedDefinition {
  // A file named after no Quadlet kind (a path given by mistake, /dev/zero) is read as a .container and judged as one.
  const kind = definitionKind(filename) ?? 'container';
  const dirs = [path.dirname(file), ...quadletDirs(env).filter((d) => d !== path.dirname(file))];
  const { unit, dropins, diagnostics } = readMerged(file, filename, dirs);
  const related = new Map<string, RelatedUnit>();
  for (const ref of referencedUnits(unit)) {
    related.set(ref, relatedUnitInfo(ref, readRelated(ref, dirs)));
  }
  return { kind, unit, sourcePath: file, dropins, diagnostics, related, podMembers: kind === 'pod' ? podMembers(filename, dirs) : [] };
}

/** A definition file with its drop-ins merged in, and what reading them found. */
function readMerged(file: string, filename: string, dirs: readonly string[]): { unit: UnitFile; dropins: string[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const main = readText(file, 'definition');
  const sections: Section[] = [];
  if (main.diagnostic) diagnostics.push(main.diagnostic);
  if (main.text !== undefined) {
    const parsed = parseUnitText(main.text, file, filename);
    appendAll(diagnostics, parsed.diagnostics);
    mergeInto(sections, parsed.unit.sections);
  }
  const dropins = findDropins(filename, dirs);
  for (const dropin of dropins) {
    const r = readText(dropin, 'drop-in');
    if (r.diagnostic) diagnostics.push(r.diagnostic);
    if (r.text === undefined) continue;
    const parsed = parseUnitText(r.text, dropin, path.basename(dropin));
    appendAll(diagnostics, parsed.diagnostics);
    mergeInto(sections, parsed.unit.sections);
  }
  return { unit: { path: file, filename, sections }, dropins, diagnostics };
}

/**
 * The containers that join a pod and start with it, as Quadlet finds them: every .container in
 * the definition's directory and Quadlet's that says Pod=POD (drop-ins included), unless it says
 * StartWithPod=no or is a bare template (a template cannot be wanted without an instance).
 */
function podMembers(podFilename: string, dirs: readonly string[]): string[] {
  const members: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    for (const name of [...listing(dir)].sort()) {
      if (!name.endsWith('.container') || seen.has(name)) continue;
      seen.add(name);
      if (name.endsWith('@.container')) continue;
      let unit: UnitFile;
      try {
        unit = readMerged(path.join(dir, name), name, dirs).unit;
      } catch {
        continue; // an unreadable neighbour is its own definition's problem, reported when it is generated
      }
      if (lookup(unit, 'Container', 'Pod') !== podFilename || !lookupBooleanOr(unit, 'Container', 'StartWithPod', true)) continue;
      members.push(`${quadletServiceName(name, unit)}.service`);
    }
  }
  return members;
}

/** The referenced Quadlet file, parsed, when it can be found next to the definition or in Quadlet's dirs. */
function readRelated(ref: string, dirs: readonly string[]): UnitFile | undefined {
  for (const dir of dirs) {
    const file = path.join(dir, ref);
    const read = readRegularFile(file, MAX_DEFINITION_BYTES);
    if (read.ok && !looksBinary(read.bytes)) return parseUnitText(read.bytes.toString('utf8'), file, ref).unit;
  }
  return undefined;
}
