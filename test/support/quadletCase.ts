// Runs one of podman's Quadlet test cases (test/e2e/quadlet/*.container)
// against `podgen generate --engine podman --output DIR FILE`, checking its
// "## assert-..." lines the way podman's quadlet_test.go does.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lookupAll, lookupLastArgs, lookupLastEntry } from '../../src/parse/lookup';
import { parseUnitText, type UnitFile } from '../../src/parse/parseUnitFile';
import { splitCsv } from '../../src/decode/mount';
import { podgen, REPO_ROOT } from './cli';
import { shellwords } from './shellwords';

export const SHARED_CASES_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'conformance', 'quadlet');
export const FAMILY_CASES_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'conformance', 'quadlet-family');
export const EXTRA_DROPINS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'quadlet-dropins');

export interface CaseOutcome {
  readonly failures: string[];
  readonly unitText: string | undefined;
  readonly stderr: string;
  readonly generatedDir: string;
}

function serviceNameFor(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  const stem = base.slice(0, -ext.length);
  const suffix: Record<string, string> = { '.volume': '-volume', '.network': '-network', '.image': '-image', '.build': '-build', '.pod': '-pod' };
  return `${stem}${suffix[ext] ?? ''}.service`;
}

function findSublist(full: readonly string[], sub: readonly string[], regex: boolean): number {
  if (sub.length === 0 || sub.length > full.length) return -1;
  for (let i = 0; i + sub.length <= full.length; i++) {
    if (sub.every((s, j) => (regex ? new RegExp(s).test(full[i + j] as string) : s === full[i + j]))) return i;
  }
  return -1;
}

function keyValMap(s: string, sep: string): Map<string, string> {
  const fields = sep === ',' ? (splitCsv(s) ?? [s]) : s.split(sep);
  return new Map(fields.map((f) => {
    const i = f.indexOf('=');
    return i === -1 ? [f, ''] : [f.slice(0, i), f.slice(i + 1)];
  }));
}

function mapsEqual(expected: Map<string, string>, actual: Map<string, string>, regex: boolean): boolean {
  if (expected.size !== actual.size) return false;
  for (const [k, v] of expected) {
    const a = actual.get(k);
    if (a === undefined) return false;
    if (regex ? !new RegExp(v).test(a) : a !== v) return false;
  }
  return true;
}

const EXEC_KEYS: Record<string, string> = { '': 'ExecStart', pre: 'ExecStartPre', stop: 'ExecStop', 'stop-post': 'ExecStopPost', reload: 'ExecReload' };

function podmanAssertion(op: string): { key: string; kind: string; regex: boolean; global: boolean } | undefined {
  const m = /^assert-podman(?:-(pre|stop-post|stop|reload))?-(global-args|final-args|args)(-key-val)?(-regex)?$/.exec(op);
  if (!m) return undefined;
  return {
    key: EXEC_KEYS[m[1] ?? ''] as string,
    kind: `${m[2]}${m[3] ?? ''}`,
    regex: m[4] !== undefined,
    global: m[2] === 'global-args',
  };
}

function check(op: string, args: string[], unit: UnitFile | undefined, stderr: string, dir: string): boolean {
  if (op === 'assert-failed') return true;
  if (op === 'assert-stderr-contains') return stderr.includes(args[0] as string);
  if (!unit) return false;
  switch (op) {
    case 'assert-key-is':
    case 'assert-key-is-regex': {
      const values = lookupAll(unit, args[0] as string, args[1] as string);
      const expected = args.slice(2);
      return values.length === expected.length && values.every((v, i) => (op === 'assert-key-is' ? v === expected[i] : new RegExp(expected[i] as string).test(v)));
    }
    case 'assert-has-key':
      return lookupAll(unit, args[0] as string, args[1] as string).includes(args[2] as string);
    case 'assert-key-is-empty':
      return lookupAll(unit, args[0] as string, args[1] as string).length === 0;
    case 'assert-last-key-is-regex': {
      const e = lookupLastEntry(unit, args[0] as string, args[1] as string);
      return e !== undefined && new RegExp(args[2] as string).test(e.value);
    }
    case 'assert-key-contains':
    case 'assert-last-key-contains':
    case 'assert-key-not-contains': {
      const e = lookupLastEntry(unit, args[0] as string, args[1] as string);
      const contains = e !== undefined && e.value.includes(args[2] as string);
      return op === 'assert-key-not-contains' ? !contains : contains;
    }
    case 'assert-symlink': {
      try {
        return fs.readlinkSync(path.join(dir, args[0] as string)) === args[1];
      } catch {
        return false;
      }
    }
    default:
      break;
  }
  const p = podmanAssertion(op);
  if (!p) throw new Error(`unsupported assertion ${op}`);
  let argv = lookupLastArgs(unit, 'Service', p.key) ?? [];
  let expected = args;
  if (p.global) {
    const at = argv.indexOf(expected[0] as string);
    if (at === -1) return false;
    argv = argv.slice(0, at);
    expected = expected.slice(1);
  }
  if (p.kind === 'final-args') {
    if (argv.length < expected.length) return false;
    const tail = argv.slice(argv.length - expected.length);
    return expected.every((e, i) => (p.regex ? new RegExp(e).test(tail[i] as string) : e === tail[i]));
  }
  if (p.kind.endsWith('-key-val')) {
    const [flag, sep, kv] = expected as [string, string, string];
    const want = keyValMap(kv, sep);
    for (let i = 0; i < argv.length - 1; i++) {
      if (argv[i] === flag && mapsEqual(want, keyValMap(argv[i + 1] as string, sep), p.regex)) return true;
    }
    return false;
  }
  return findSublist(argv, expected, p.regex) !== -1;
}

// Mirror podman's test layout: its regex assertions name paths like podman-e2e-X/subtest-Y/quadlet.
function makeCaseDirs(): { quadletDir: string; generatedDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'podman_test-'));
  const sub = fs.mkdtempSync(path.join(fs.mkdtempSync(path.join(root, 'podman-e2e-')), 'subtest-'));
  const quadletDir = path.join(sub, 'quadlet');
  const generatedDir = path.join(sub, 'generated');
  fs.mkdirSync(quadletDir);
  fs.mkdirSync(generatedDir);
  return { quadletDir, generatedDir };
}

export function runQuadletCase(caseFile: string): CaseOutcome {
  const fileName = path.basename(caseFile);
  const data = fs.readFileSync(caseFile, 'utf8');
  const { quadletDir, generatedDir } = makeCaseDirs();
  fs.writeFileSync(path.join(quadletDir, fileName), data);
  // Quadlet files the case refers to travel with it when its directory has them (podman's
  // harness does the same for its "with dependencies" cases).
  for (const ref of new Set(data.match(/[\w.@-]+\.(?:container|volume|network|image|build|pod|kube|login|artifact)\b/g) ?? [])) {
    const dep = path.join(path.dirname(caseFile), ref);
    if (ref !== fileName && fs.existsSync(dep) && !fs.existsSync(path.join(quadletDir, ref))) fs.copyFileSync(dep, path.join(quadletDir, ref));
  }
  const dropinDirs = [`${fileName}.d`];
  const m = /^([^@]*)@(.+)(\.[a-z]+)$/.exec(fileName);
  if (m) dropinDirs.push(`${m[1]}@${m[3]}.d`);
  for (const d of dropinDirs) {
    for (const from of [path.join(path.dirname(caseFile), d), path.join(EXTRA_DROPINS_DIR, d)]) {
      if (fs.existsSync(from) && !fs.existsSync(path.join(quadletDir, d))) fs.cpSync(from, path.join(quadletDir, d), { recursive: true });
    }
  }
  const checks = data.split('\n').filter((l) => l.startsWith('##')).map((l) => shellwords(l.slice(2)));
  const expect = checks.some((c) => c[0] === 'assert-failed') ? 'error' : 'success';
  return runCase({ fileName, quadletDir, generatedDir, checks, service: serviceNameFor(fileName), expect });
}

/** A quadlet-family case: a directory holding the main file, its dependencies, drop-ins and case.json. */
export interface FamilyCase {
  readonly main: string;
  readonly service: string;
  readonly expect: 'success' | 'warning' | 'error';
  readonly stderr?: string;
}

export function readFamilyCase(caseDir: string): FamilyCase {
  const raw: unknown = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
  const c = raw as Partial<FamilyCase>;
  if (typeof c.main !== 'string' || typeof c.service !== 'string' || !['success', 'warning', 'error'].includes(c.expect as string)) {
    throw new Error(`${caseDir}/case.json: needs main, service and expect (success|warning|error)`);
  }
  return c as FamilyCase;
}

export function runFamilyCase(caseDir: string): CaseOutcome {
  const c = readFamilyCase(caseDir);
  const { quadletDir, generatedDir } = makeCaseDirs();
  for (const name of fs.readdirSync(caseDir)) {
    if (name !== 'case.json') fs.cpSync(path.join(caseDir, name), path.join(quadletDir, name), { recursive: true });
  }
  const data = fs.readFileSync(path.join(quadletDir, c.main), 'utf8');
  const checks = data.split('\n').filter((l) => l.startsWith('##')).map((l) => shellwords(l.slice(2)));
  return runCase({ fileName: c.main, quadletDir, generatedDir, checks, service: c.service, expect: c.expect });
}

interface CaseRun {
  readonly fileName: string;
  readonly quadletDir: string;
  readonly generatedDir: string;
  readonly checks: readonly string[][];
  readonly service: string;
  readonly expect: 'success' | 'warning' | 'error';
}

function runCase(run: CaseRun): CaseOutcome {
  const { fileName, quadletDir, generatedDir, checks } = run;
  const r = podgen(['generate', '--engine', 'podman', '--output', generatedDir, path.join(quadletDir, fileName)], {
    cwd: quadletDir,
    env: { QUADLET_UNIT_DIRS: quadletDir },
  });
  const unitPath = path.join(generatedDir, run.service);
  const failures: string[] = [];
  let unit: UnitFile | undefined;
  let unitText: string | undefined;
  if (run.expect === 'error') {
    if (r.status === 0) failures.push(`expected failure, got exit 0`);
    if (fs.existsSync(unitPath)) failures.push(`expected no unit, found ${unitPath}`);
  } else if (r.status !== 0 || !fs.existsSync(unitPath)) {
    failures.push(`generate failed with exit ${r.status}: ${r.stderr.trim()}`);
  } else {
    unitText = fs.readFileSync(unitPath, 'utf8');
    unit = parseUnitText(unitText, unitPath, path.basename(unitPath)).unit;
    if (run.expect === 'warning' && !/warning/i.test(r.stderr)) failures.push('expected a warning on stderr, found none');
  }
  for (const c of checks) {
    const [rawOp, ...rawArgs] = c as [string, ...string[]];
    const invert = rawOp.startsWith('!');
    const op = invert ? rawOp.slice(1) : rawOp;
    const args = rawArgs.map((a) => a.replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    let ok = check(op, args, unit, r.stderr, generatedDir);
    if (invert) ok = !ok;
    if (!ok) failures.push(`failed: ${c.join(' ')}`);
  }
  return { failures, unitText, stderr: r.stderr, generatedDir };
}
