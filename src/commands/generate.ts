// `podgen generate`: read -> decode -> plan -> render for every definition,
// then print or write. Nothing is written unless every definition is good.

import { appendAll } from '../arrays';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeContainer, type Engine } from '../decode/decodeContainer';
import { fullyChecked } from '../decode/systemdSections';
import { type Diagnostic, definitionError, PodgenError } from '../errors';
import { writeUnits } from '../output/writeUnits';
import { systemdVerifier } from '../manage/analyze';
import type { UnitFile } from '../parse/parseUnitFile';
import { complaintDiagnostic } from '../plan/complaints';
import type { PlanContext, UnitVerifier } from '../plan/context';
import { planUnit } from '../plan/planUnit';
import type { UnitPlan } from '../plan/unitPlan';
import { renderCompanion, renderUnit } from '../render/renderUnit';
import { loadDefinition, type LoadedDefinition } from '../resolve/loadDefinition';
import { decodeResource } from '../decode/decodeResource';
import { definitionKind } from '../resolve/relatedUnits';
import { planResource } from '../plan/planResource';
import { NATIVE_HELPER } from '../runtime/takeOver';
import { RUNTIME_BINARIES } from '../runtime/paths';
import type { SearchEnv } from '../resolve/searchPaths';
import { PODGEN_VERSION } from '../version';

export interface GenerateRequest {
  readonly names: readonly string[];
  readonly engine: Engine;
  readonly output: string | undefined;
  readonly search: SearchEnv;
  readonly ctx: PlanContext;
  /** Also generate the definitions these refer to (Network=db.network, Volume=x.volume, Requires=db.container, ...), once each: what install and up need. */
  readonly withReferences?: boolean;
}

export interface GeneratedUnit {
  readonly plan: UnitPlan;
  readonly text: string;
  /** The units that go with it (its health check's timer and service), rendered. */
  readonly companions: ReadonlyArray<{ readonly unitName: string; readonly text: string }>;
}

export interface GenerateResult {
  readonly units: readonly GeneratedUnit[];
  readonly warnings: readonly Diagnostic[];
  /** Paths written (with --output). */
  readonly written: readonly string[];
}

export function generate(req: GenerateRequest): GenerateResult {
  if (req.names.length === 0) {
    throw new PodgenError('no definition given', { kind: 'usage', hint: 'podgen generate NAME|FILE... (try: podgen generate nginx)' });
  }
  const units: GeneratedUnit[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, string>();
  /** Each unit's definition, drop-ins merged: where systemd's complaints are told. */
  const definitions = new Map<string, UnitFile>();
  const queue = [...req.names];
  const loadedFiles = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const loaded = loadDefinition(queue[i] as string, req.search);
    if (loadedFiles.has(loaded.sourcePath) && i >= req.names.length) continue;
    loadedFiles.add(loaded.sourcePath);
    if (req.withReferences) {
      for (const [ref, info] of loaded.related) {
        if (info.found && info.file && definitionKind(ref) && !loadedFiles.has(info.file) && !queue.includes(info.file)) queue.push(info.file);
      }
    }
    appendAll(diagnostics, loaded.diagnostics);
    // Nothing but errors to decode: the parser's one error says it all.
    if (loaded.unit.sections.length === 0 && loaded.diagnostics.some((d) => d.severity === 'error')) continue;
    const planned = decodeAndPlan(loaded, req);
    appendAll(diagnostics, planned.decodeDiagnostics);
    if (!planned.ok || loaded.diagnostics.some((d) => d.severity === 'error')) continue;
    appendAll(diagnostics, planned.diagnostics);
    if (!planned.plan) continue;
    const earlier = seen.get(planned.plan.unitName);
    if (earlier !== undefined) {
      diagnostics.push({
        severity: 'error',
        file: loaded.sourcePath,
        message: `${planned.plan.unitName} would be generated twice (also from ${earlier})`,
        hint: 'give each definition once, or set ServiceName= to tell them apart',
      });
      continue;
    }
    seen.set(planned.plan.unitName, loaded.sourcePath);
    const plan = planned.plan;
    units.push({ plan, text: renderUnit(plan, PODGEN_VERSION), companions: plan.companions.map((c) => ({ unitName: c.unitName, text: renderCompanion(plan, c, PODGEN_VERSION) })) });
    definitions.set(plan.unitName, loaded.unit);
  }
  // The last word is systemd's: a line it would ignore is an error at the definition's line.
  // Only units with a setting of their own that podgen's checks do not cover in full: podgen's own
  // lines are systemd-verified by the test suite (the fuzz run, the sandbox property test), and the
  // run costs ~0.2 ms a unit (a bulk generate of 1,000 plain definitions would pay 0.3 s for nothing).
  const unchecked = units.filter((u) => needsSystemdVerdict(definitions.get(u.plan.unitName) as UnitFile));
  if (req.ctx.verifyUnits && unchecked.length > 0 && !diagnostics.some((d) => d.severity === 'error')) {
    const rendered = unchecked.flatMap((u) => [{ unitName: u.plan.unitName, text: u.text, unit: u }, ...u.companions.map((c) => ({ ...c, unit: u }))]);
    for (const c of req.ctx.verifyUnits(rendered)) {
      const r = rendered.find((x) => x.unitName === c.unitName);
      if (!r) continue;
      diagnostics.push(complaintDiagnostic(c, r.text, definitions.get(r.unit.plan.unitName) as UnitFile, r.unit.plan.source, r.unit.plan.engine === 'podman'));
    }
  }
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  if (diagnostics.some((d) => d.severity === 'error')) throw definitionError(diagnostics);
  const written = req.output
    ? writeUnits(
        path.resolve(req.search.cwd, req.output),
        units.flatMap((u) => [{ unitName: u.plan.unitName, text: u.text, symlinks: u.plan.symlinks }, ...u.companions.map((c) => ({ ...c, symlinks: [] }))]),
      )
    : [];
  return { units: units.map((u) => ({ ...u, plan: { ...u.plan, warnings: warnings.filter((w) => w.file === u.plan.source) } })), warnings, written };
}

/** decode -> plan for a loaded definition of any kind. */
function decodeAndPlan(loaded: LoadedDefinition, req: GenerateRequest): { ok: boolean; decodeDiagnostics: Diagnostic[]; plan?: UnitPlan; diagnostics: readonly Diagnostic[] } {
  const input = { unit: loaded.unit, sourcePath: loaded.sourcePath, engine: req.engine, related: loaded.related };
  if (loaded.kind === 'container') {
    const decoded = decodeContainer(input);
    if (!decoded.definition) return { ok: false, decodeDiagnostics: decoded.diagnostics, diagnostics: [] };
    return { ok: true, decodeDiagnostics: decoded.diagnostics, ...planUnit(decoded.definition, req.engine, req.ctx, loaded.dropins) };
  }
  const decoded = decodeResource({ ...input, kind: loaded.kind, podMembers: loaded.podMembers });
  if (!decoded.definition) return { ok: false, decodeDiagnostics: decoded.diagnostics, diagnostics: [] };
  return { ok: true, decodeDiagnostics: decoded.diagnostics, ...planResource(decoded.definition, req.engine, req.ctx, loaded.dropins) };
}

/** The machine facts planning needs, read once at the edge. */
export function machineContext(user: boolean, env: NodeJS.ProcessEnv = process.env): PlanContext {
  return {
    user,
    podmanPath: env.PODMAN || '/usr/bin/podman',
    podgenCommand: [process.execPath, path.resolve(__dirname, '..', 'cli', 'entry.js')],
    runtimePaths: RUNTIME_BINARIES,
    // PODGEN_NO_NATIVE_HELPER: the shape for machines without a C compiler, on one that has one (tests).
    ...(!env.PODGEN_NO_NATIVE_HELPER && fs.existsSync(NATIVE_HELPER) ? { nativeHelper: NATIVE_HELPER } : {}),
    fileExists: (p) => fs.existsSync(p),
    ...(env.PODGEN_NO_VERIFY ? {} : withVerifier()),
  };
}

function withVerifier(): { verifyUnits?: UnitVerifier } {
  const verifyUnits = systemdVerifier();
  return verifyUnits ? { verifyUnits } : {};
}

/** Whether a definition holds a [Unit]/[Service] setting whose value only systemd's parser judges in full. */
function needsSystemdVerdict(definition: UnitFile): boolean {
  return definition.sections.some((sec) => (sec.name === 'Unit' || sec.name === 'Service') && sec.entries.some((e) => !fullyChecked(sec.name, e.key)));
}
