// One notion of "a container podgen runs", whatever started it: a
// definition's unit (install/up, the generator), `podgen run -d`, a pod's
// member. All of them are units podgen wrote, so the unit files are the list;
// their [X-Podgen] section (run -d, compose imports) adds the origin, and for
// run -d an ID, a creation time and the command line. One naming rule: a container NAME is its unit's ContainerName
// (podgen engine default: the unit name without .service; podman engine:
// systemd-NAME), and every command takes the container name, the unit name or
// a unique prefix of the ID.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { lookup } from '../parse/lookup';
import { parseUnitText, type UnitFile } from '../parse/parseUnitFile';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { containerUnitDirs } from '../resolve/searchPaths';
import { GENERATED_MARK, serviceUnitName } from '../resolve/unitName';

/** Where a container came from (ps's ORIGIN, --filter origin=). */
export type Origin = 'definition' | 'run' | 'pod' | 'compose';

export interface KnownContainer {
  readonly name: string;
  readonly unit: string;
  readonly unitFile: string;
  readonly origin: Origin;
  /** 64 hex digits, for run -d containers (docker run -d prints it); definitions' containers have none. */
  readonly id: string | undefined;
  /** ms since the epoch: run -d's creation, else when the unit file was last written (installed). */
  readonly createdMs: number;
  readonly image: string;
  readonly engine: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly string[];
  /** The definition the unit came from (its SourcePath=). */
  readonly definition: string | undefined;
  /** run -d: the command line as given. */
  readonly command: string | undefined;
  readonly pod: string | undefined;
  /** The unit file's text (policy, drop-ins, ...). */
  readonly text: string;
  readonly parsed: UnitFile;
}

/** The section run -d writes into its definitions (and so into the units). */
export const RUN_SECTION = 'X-Podgen';

/** A container's unit: "(engine NAME)" in the header's first line (not its health check's units, not templates). */
const CONTAINER_HEADER = /^[^\n]*\(engine (\w+)\)/;

function entriesOf(unit: UnitFile, section: string, key: string): string[] {
  return unit.sections.filter((s) => s.name === section).flatMap((s) => s.entries.filter((e) => e.key === key).map((e) => e.value));
}

/** KEY=VALUE words of X-Container's Label= lines (as written by the definition). */
function labelsOf(unit: UnitFile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of entriesOf(unit, 'X-Container', 'Label')) {
    for (const w of v.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
      const word = w.replace(/"/g, '');
      const eq = word.indexOf('=');
      out[eq === -1 ? word : word.slice(0, eq)] = eq === -1 ? '' : word.slice(eq + 1);
    }
  }
  return out;
}

/** The container a unit file runs, or undefined for any other unit. */
export function containerOfUnit(unitDir: string, unit: string, text: string | undefined): KnownContainer | undefined {
  if (!text?.startsWith(GENERATED_MARK) || unit.endsWith('@.service') || !unit.endsWith('.service')) return undefined;
  const engine = CONTAINER_HEADER.exec(text)?.[1];
  if (!engine) return undefined;
  const file = path.join(unitDir, unit);
  const parsed = parseUnitText(text, file, unit).unit;
  // Network, volume, pod and image units have no X-Container section.
  if (!parsed.sections.some((s) => s.name === 'X-Container')) return undefined;
  const stem = unit.slice(0, -'.service'.length);
  const name = lookup(parsed, 'X-Container', 'ContainerName') ?? (engine === 'podman' ? `systemd-${stem}` : stem);
  const pod = lookup(parsed, 'X-Container', 'Pod');
  const origin = lookup(parsed, RUN_SECTION, 'Origin');
  const created = Date.parse(lookup(parsed, RUN_SECTION, 'Created') ?? '');
  return {
    name,
    unit,
    unitFile: file,
    origin: origin === 'run' || origin === 'compose' ? origin : pod ? 'pod' : 'definition',
    id: lookup(parsed, RUN_SECTION, 'ID'),
    createdMs: Number.isFinite(created) ? created : mtimeMs(file),
    image: lookup(parsed, 'X-Container', 'Image') ?? lookup(parsed, 'X-Container', 'Rootfs') ?? '',
    engine,
    labels: labelsOf(parsed),
    ports: entriesOf(parsed, 'X-Container', 'PublishPort'),
    definition: lookup(parsed, 'Unit', 'SourcePath'),
    command: lookup(parsed, RUN_SECTION, 'Command'),
    pod,
    text,
    parsed,
  };
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Every container podgen runs for this manager (system, or --user), persistent units first. */
export function knownContainers(user: boolean, dirs: readonly string[] = containerUnitDirs(user)): KnownContainer[] {
  const seen = new Set<string>();
  const out: KnownContainer[] = [];
  for (const dir of dirs) {
    for (const n of listDir(dir).sort()) {
      // A unit in /etc hides one of the same name in /run, as systemd reads them.
      if (seen.has(n) || !n.endsWith('.service')) continue;
      seen.add(n);
      const c = containerOfUnit(dir, n, readIfExists(path.join(dir, n)));
      if (c) out.push(c);
    }
  }
  return out;
}

function describe(c: KnownContainer): string {
  return `${c.name} (${c.unit}, ${c.origin === 'run' ? 'podgen run -d' : c.origin === 'pod' ? `pod ${c.pod}` : `from ${c.definition ?? 'a definition'}`}${c.id ? `, ID ${c.id.slice(0, 12)}` : ''})`;
}

/** The container a NAME, unit name or ID prefix names; undefined when none does, an error when several do. */
export function findContainer(all: readonly KnownContainer[], ref: string): KnownContainer | undefined {
  const byName = all.filter((c) => c.name === ref || c.unit === ref || c.unit === serviceUnitName(ref));
  const matches = byName.length > 0 ? byName : /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id?.startsWith(ref)) : [];
  if (matches.length > 1) {
    throw new PodgenError(`"${ref}" is ambiguous: it names ${matches.map(describe).join(' and ')}`, {
      kind: 'usage',
      hint: byName.length > 0 ? 'give the unit name (NAME.service) instead' : 'give more digits of the ID, or the name',
    });
  }
  return matches[0];
}

/** The container a NAME, unit name or ID prefix names; an error when none or several do. */
export function resolveContainer(all: readonly KnownContainer[], ref: string): KnownContainer {
  const c = findContainer(all, ref);
  if (!c) throw noSuchContainer(ref);
  return c;
}

const noSuchContainer = (ref: string): PodgenError => new PodgenError(`no such container: ${ref}`, { kind: 'not-found', hint: 'podgen ps -a lists the containers podgen runs, with their names, units and IDs' });

/** The most recently created container (podman's --latest). */
export function latestContainer(all: readonly KnownContainer[]): KnownContainer {
  const latest = [...all].sort((a, b) => b.createdMs - a.createdMs)[0];
  if (!latest) throw new PodgenError('there is no container to pick with --latest', { kind: 'not-found', hint: 'podgen ps -a lists the containers podgen runs' });
  return latest;
}

/**
 * What a command's NAME arguments (or --latest) name: containers, and, for the unit verbs
 * (start, stop, ...), other units podgen wrote (a network's, a pod's). A name that is neither is
 * an error, before anything is done.
 */
export function resolveRefs(user: boolean, refs: readonly string[], latest: boolean, opts: { readonly otherUnits?: boolean } = {}): Array<{ readonly unit: string; readonly container: KnownContainer | undefined }> {
  const all = knownContainers(user);
  if (latest) {
    if (refs.length > 0) throw new PodgenError('--latest and container names do not go together', { kind: 'usage', hint: 'give names, or --latest alone' });
    const c = latestContainer(all);
    return [{ unit: c.unit, container: c }];
  }
  if (refs.length === 0) throw new PodgenError('name at least one container, or use --latest (-l)', { kind: 'usage', hint: 'podgen ps -a lists them' });
  return refs.map((ref) => {
    const c = findContainer(all, ref);
    if (c) return { unit: c.unit, container: c };
    const unit = serviceUnitName(ref);
    if (opts.otherUnits && containerUnitDirs(user).some((d) => readIfExists(path.join(d, unit))?.startsWith(GENERATED_MARK))) return { unit, container: undefined };
    throw noSuchContainer(ref);
  });
}

/** The definition file NAME stands for: a known container's SourcePath (by name, unit or ID), else NAME itself (a definition name or path). */
export function definitionFileOf(name: string, all: readonly KnownContainer[]): string {
  const c = findContainer(all, name);
  return c?.definition && fs.existsSync(c.definition) ? c.definition : name;
}
