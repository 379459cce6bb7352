// podgen as a systemd generator: at boot and on every daemon-reload, systemd
// runs it with its output directories, and every definition in podgen's own
// directories (searchPaths.generatorDirs) becomes a unit there, with no
// `podgen up`. A generator may not block boot: one broken definition is
// reported (kernel log / journal, and `podgen check`) and the others are
// written; the pass always succeeds. It never fights podman's Quadlet
// generator: it reads other directories, and a unit name a Quadlet file
// would also produce is left to Quadlet.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../decode/decodeContainer';
import { describeError, type Diagnostic, PodgenError } from '../errors';
import { type UnitOutput, writeGeneratedUnits } from '../output/writeUnits';
import { parseUnitText } from '../parse/parseUnitFile';
import type { PlanContext } from '../plan/context';
import { listDir } from '../resolve/readIfExists';
import { definitionKind, quadletServiceName } from '../resolve/relatedUnits';
import { generatorDirs, quadletDirs, type SearchEnv } from '../resolve/searchPaths';
import { generate } from './generate';
import { readRegularFile } from '../files';
import { MAX_DEFINITION_BYTES } from '../resolve/loadDefinition';
import { runSync } from '../process/run';

export interface GeneratorPass {
  /** Units (with their companions and [Install] links) ready to write, by definition file. */
  readonly outputs: ReadonlyArray<{ readonly file: string; readonly units: readonly UnitOutput[] }>;
  /** Definitions left out, each with why (every diagnostic located at file:line where known). */
  readonly failed: ReadonlyArray<{ readonly file: string; readonly message: string }>;
  readonly warnings: readonly Diagnostic[];
}

/** Definition files in podgen's directories; a file name found twice is taken from the first directory. */
export function generatorDefinitions(search: SearchEnv): string[] {
  const chosen = new Map<string, string>();
  for (const dir of generatorDirs(search)) {
    for (const name of listDir(dir).sort()) {
      if (definitionKind(name) && !chosen.has(name)) chosen.set(name, path.join(dir, name));
    }
  }
  return [...chosen.values()];
}

/** The unit names podman's Quadlet generator would write from its directories (podgen leaves those to it). */
function quadletUnitNames(search: SearchEnv): Map<string, string> {
  const names = new Map<string, string>();
  for (const dir of quadletDirs(search)) {
    for (const name of listDir(dir)) {
      if (!definitionKind(name)) continue;
      const file = path.join(dir, name);
      // Read as definitions are (regular files of sane size); one that cannot be read is Quadlet's problem.
      const read = readRegularFile(file, MAX_DEFINITION_BYTES);
      if (!read.ok) continue;
      const unit = parseUnitText(read.bytes.toString('utf8'), file, name).unit;
      names.set(`${quadletServiceName(name, unit)}.service`, file);
    }
  }
  return names;
}

/** One pass over podgen's definitions: what to write and what was left out, nothing written. */
export function generatorPass(search: SearchEnv, ctx: PlanContext, engine: Engine = 'podgen'): GeneratorPass {
  const outputs: Array<{ file: string; units: UnitOutput[] }> = [];
  const failed: Array<{ file: string; message: string }> = [];
  const warnings: Diagnostic[] = [];
  const quadlet = quadletUnitNames(search);
  // References and drop-ins resolve in podgen's directories, as Quadlet's do in its own.
  const own: SearchEnv = { ...search, env: { ...search.env, QUADLET_UNIT_DIRS: generatorDirs(search).join(':') } };
  const taken = new Map<string, string>();
  for (const file of generatorDefinitions(search)) {
    try {
      const result = generate({ names: [file], engine, output: undefined, search: own, ctx });
      const units = result.units.flatMap((u) => [{ unitName: u.plan.unitName, text: u.text, symlinks: u.plan.symlinks }, ...u.companions.map((c) => ({ ...c, symlinks: [] }))]);
      const clash = units.map((u) => ({ u, other: quadlet.get(u.unitName) ?? taken.get(u.unitName) })).find((x) => x.other !== undefined);
      if (clash) {
        failed.push({ file, message: `${file}: ${clash.u.unitName} is also generated from ${clash.other}; podgen leaves it to that definition (rename one, or set ServiceName=)` });
        continue;
      }
      for (const u of units) taken.set(u.unitName, file);
      warnings.push(...result.warnings);
      outputs.push({ file, units });
    } catch (e) {
      failed.push({ file, message: describeError(e) });
    }
  }
  return { outputs, failed, warnings };
}

/**
 * Where a generator's messages go, so that `journalctl -b` shows them: journald itself when it
 * runs (daemon-reload; systemd-cat, as Node has no datagram sockets), the kernel log at early
 * boot (journald reads it when it starts), stderr when run by hand.
 */
function generatorLog(): { log: (line: string) => void; flush: () => void } {
  const lines: string[] = [];
  const byHand = !process.env.SYSTEMD_SCOPE;
  return {
    log: (line) => {
      for (const l of line.split('\n')) lines.push(l);
    },
    flush: () => {
      if (lines.length === 0) return;
      const text = lines.map((l) => `${l}\n`).join('');
      if (!byHand && fs.existsSync('/run/systemd/journal/socket')) {
        try {
          if (runSync(['systemd-cat', '-t', 'podgen-generator', '-p', 'err'], { input: text, timeoutMs: 5_000 }).status === 0) return;
        } catch {
          // no systemd-cat: the kernel log below
        }
      }
      if (!byHand) {
        try {
          const kmsg = fs.openSync('/dev/kmsg', 'w');
          for (const l of lines) fs.writeSync(kmsg, `<3>podgen-generator: ${l}\n`);
          fs.closeSync(kmsg);
          return;
        } catch {
          // no kernel log either: stderr
        }
      }
      process.stderr.write(lines.map((l) => `podgen-generator: ${l}\n`).join(''));
    },
  };
}

/** The generator entry: systemd passes NORMAL_DIR [EARLY_DIR LATE_DIR]; units go to NORMAL_DIR. Never fails. */
export function runGenerator(normalDir: string, search: SearchEnv, ctx: PlanContext): void {
  const { log, flush } = generatorLog();
  try {
    if (!normalDir || !path.isAbsolute(normalDir)) throw new PodgenError('a generator needs the absolute output directory systemd gives it', { kind: 'usage' });
    const pass = generatorPass(search, ctx);
    for (const f of pass.failed) log(`left out ${f.file}:\n${f.message}`);
    // Another generator (podman's) may have written a unit of that name already: its unit stays.
    const outputs = pass.outputs.flatMap((o) => o.units).filter((u) => {
      const exists = fs.existsSync(path.join(normalDir, u.unitName));
      if (exists) log(`${u.unitName} already exists in ${normalDir} (another generator wrote it); podgen's is left out`);
      return !exists;
    });
    if (outputs.length > 0) writeGeneratedUnits(normalDir, outputs);
  } catch (e) {
    log(describeError(e));
  }
  flush();
}

/** The script systemd runs as the generator: this Node and this podgen, by absolute path (PATH is minimal at boot). */
export function generatorScript(nodePath: string, entry: string, user: boolean): string {
  return [
    '#!/bin/sh',
    '# Installed by `podgen generator install`: podgen definitions become units at boot and daemon-reload.',
    `exec ${shellQuote(nodePath)} ${shellQuote(entry)} generator${user ? ' --user' : ''} "$@"`,
    '',
  ].join('\n');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Link podgen in as a systemd generator (idempotent); returns the path written. */
export function installGenerator(linkPath: string, script: string): string {
  fs.mkdirSync(path.dirname(linkPath), { recursive: true });
  const temp = `${linkPath}.podgen-${process.pid}`;
  fs.writeFileSync(temp, script, { mode: 0o755 });
  fs.renameSync(temp, linkPath);
  return linkPath;
}

export function uninstallGenerator(linkPath: string): boolean {
  try {
    const text = fs.readFileSync(linkPath, 'utf8');
    if (!text.includes('podgen generator')) throw new PodgenError(`${linkPath} is not podgen's generator; left as it is`, { kind: 'usage' });
    fs.unlinkSync(linkPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
