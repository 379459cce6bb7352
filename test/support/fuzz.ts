// Fuzzing `podgen generate`: byte mutations of real definitions (podgen's
// units, the test corpus, podman's Quadlet cases) and grammar-based random
// definitions (every [Container] key, values good and bad, odd file names,
// drop-ins). Each case runs the generate pipeline in this process, exactly
// as the CLI does (the same function, the same error rendering, --output to
// an empty directory), and is judged on what a user would see:
//
// - never exit 70 (an internal error) and never a stack trace;
// - never longer than 2 s;
// - never partial output: on failure the output directory holds no file, on
//   success every unit is there, whole.
//
// Shared by test/cli/fuzz.test.ts (a few hundred cases in npm test) and
// bench/fuzz.ts (10,000 and more, with its count in the report).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate, machineContext } from '../../src/commands/generate';
import { CONTAINER_KEYS } from '../../src/decode/containerKeys';
import { INSTALL_KEYS, SERVICE_KEYS, UNIT_KEYS } from '../../src/decode/systemdKeys';
import type { Engine } from '../../src/decode/decodeContainer';
import { describeError, ExitCode, MAX_MESSAGE_CHARS, PodgenError } from '../../src/errors';
import { GENERATED_MARK } from '../../src/resolve/unitName';
import { REPO_ROOT } from './cli';

/** A small, seedable PRNG (mulberry32): a failing case is reproduced from its seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed definitions: every .container podgen and podman's tests hold. */
export function seedDefinitions(): string[] {
  const dirs = [path.join(REPO_ROOT, 'units'), path.join(REPO_ROOT, 'test/fixtures/corpus'), path.resolve(REPO_ROOT, '../shared/conformance/quadlet')];
  const texts: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.container')) texts.push(fs.readFileSync(path.join(d, n), 'utf8'));
  }
  return texts;
}

const TOKENS = [
  '%F', '%%', '%i', '%h/x', '%', '\\\n', '\\', '"', "'", '\\x4', '\\u12', '\\777', '$FOO', '${', '$$', '=', '==',
  '\n[Container]\n', '\n[Service]\nRestart=\n', '\n[Service]\nType=oneshot\n', '\n[Install]\nWantedBy=%t.target\n', '\n[X-y]\n', '\n[Bogus]\n',
  'Exec=', 'Volume=', 'PublishPort=', 'Memory=', 'RestartPolicy=', ':', '::', '/..', '../', ' ', '\t', '\r', '\r\n', '\u00e9', '\ufffe',
  '\u0000', '\u00a0', '\ufeff', '#', ';', '[', ']', 'A'.repeat(5000), 'x '.repeat(3000), '\n'.repeat(50),
];
const BYTES = [0x00, 0x0a, 0x0d, 0x22, 0x27, 0x5c, 0x25, 0x24, 0x3d, 0x5b, 0x5d, 0x20, 0x09, 0xff, 0xc3, 0xef, 0x80];

/** 1-5 random mutations of a seed definition, as bytes (invalid UTF-8 included). */
export function mutate(rng: Rng, seed: string, others: readonly string[]): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + rng.int(5);
  for (let r = 0; r < rounds; r++) {
    const pos = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(7)) {
      case 0:
        if (b.length > 0) b[pos] = rng.chance(0.7) ? rng.pick(BYTES) : rng.int(256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(rng.pick(TOKENS)), b.subarray(pos)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rng.int(40)))]);
        break;
      default: {
        const lines = b.toString('latin1').split('\n');
        const i = rng.int(lines.length);
        const j = rng.int(lines.length);
        const donor = rng.pick(others).split('\n');
        const op = rng.int(3);
        if (op === 0) lines.splice(i, 0, lines[j] as string);
        else if (op === 1) [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
        else lines.splice(i, 0, Buffer.from(rng.pick(donor)).toString('latin1'));
        b = Buffer.from(lines.join('\n'), 'latin1');
      }
    }
  }
  return b;
}

const VALUES = [
  '', 'yes', 'no', 'true', 'maybe', '0', '1', '-1', '65536', '1.5g', '512m', '12XB', '0.001', '0.00001', '2', '80:80', '53:53/sctp', '8080-8081:80-81',
  '[::1]:80:80', '80:99999', '/a:/b', '/a b:/c:ro', '/srv:/data:Z,U', 'data.volume:/d', './rel:/r', '/a:rel', 'docker.io/library/busybox:1.36', 'busybox',
  'UPPER/case', 'term', 'SIGKILL', 'sigrtmin+3', '99', 'always', 'on-failure:3', 'on-failure:-1', 'unless-stopped', 'sometimes', '%h/x', '%F', '%N-x',
  '$FOO', '${BAR}', '"unterminated', "a 'b c' d", 'x=y', 'A=1 "B=2 3"', 'nofile=10:5', 'nofile=1024:2048', 'CAP_NET_ADMIN', 'NET_RAW', 'CAP_FOO', 'ALL',
  '999999999999999999999', 'host', 'none', 'bridge', 'net.network', 'db.container', 'type=bind,source=/a,destination=/b', 'type=tmpfs', '30s', '1m30s',
  'disable', 'healthy', 'kill', 'CMD-SHELL true', '["CMD", "true"]', 'runc', 'crun', 'local', 'registry', '1:0:65536', 'keep-id', 'a\\x20b', '\\',
  // Values of systemd's own settings: unit names, paths with their prefixes, time spans.
  'multi-user.target', 'db.service', 'network-online.target', '/etc/x.env', '-/etc/x.env', 'rel.env', '|!/x', '!|/x', '~', 'a/b', 'infinity',
  '5min', '1h 30s', 'y', 'off', 'notify', 'oneshot', 'mixed', '%i', '%i.service', 'web@%i.service', '/bin/true', 'bin/true', '-/bin/true',
];
const NAMES = ['web', 'db-main', 'worker@', 'worker@3', 'my web', 'a%b', 'x:y', '-x', 'w\u00e9b', '@x', 'ok.v2', 'a\\x2db', 'x'.repeat(260)];

export interface FuzzFile {
  readonly name: string;
  readonly bytes: Buffer;
  /** Drop-ins: file name under NAME.container.d/ -> bytes. */
  readonly dropins: ReadonlyArray<readonly [string, Buffer]>;
}

/** A random definition built from the key table, values good and bad, and odd file names. */
export function grammarDefinition(rng: Rng): FuzzFile {
  const keys = CONTAINER_KEYS.map((k) => k.name);
  const section = (name: string, pool: readonly string[], n: number): string =>
    [`[${name}]`, ...Array.from({ length: n }, () => `${rng.chance(0.05) ? 'Bogus' : ''}${rng.pick(pool)}=${value()}`)].join('\n');
  const value = (): string => {
    const v = rng.pick(VALUES);
    if (rng.chance(0.2)) return `${v} ${rng.pick(VALUES)}`;
    if (rng.chance(0.05)) return String.fromCharCode(...Array.from({ length: 1 + rng.int(12) }, () => 0x20 + rng.int(0x5f)));
    return v;
  };
  const parts = [rng.chance(0.9) ? `[Container]\nImage=${rng.pick(['docker.io/library/busybox:1.36', 'busybox', 'docker.io/library/nginx:1.25'])}` : ''];
  parts.push(section('Container', keys, rng.int(12)));
  // systemd's own sections, from its own key tables (decode/systemdKeys.ts).
  if (rng.chance(0.3)) parts.push(section('Service', [...SERVICE_KEYS], 1 + rng.int(3)));
  if (rng.chance(0.2)) parts.push(section('Unit', [...UNIT_KEYS], 1 + rng.int(2)));
  if (rng.chance(0.2)) parts.push(section('Install', [...INSTALL_KEYS], 1 + rng.int(2)));
  const dropins: Array<[string, Buffer]> = rng.chance(0.15) ? [[`${rng.int(99)}-x.conf`, Buffer.from(section('Container', keys, 1 + rng.int(3)))]] : [];
  return { name: rng.pick(NAMES), bytes: Buffer.from(`${parts.join('\n')}\n`), dropins };
}

export interface FuzzCase {
  readonly id: string;
  readonly engine: Engine;
  readonly file: FuzzFile;
}

/** Case number i of a run: even ones are mutations, odd ones grammar-based; engines alternate. */
export function fuzzCase(seed: number, i: number, seeds: readonly string[]): FuzzCase {
  const rng = new Rng(seed * 1_000_003 + i);
  const engine: Engine = rng.chance(0.5) ? 'podgen' : 'podman';
  const file = i % 2 === 0 ? { name: rng.pick(['web', 'web@', 'web@1', 'db']), bytes: mutate(rng, rng.pick(seeds), seeds), dropins: [] } : grammarDefinition(rng);
  return { id: `seed ${seed} case ${i}`, engine, file };
}

export interface Verdict {
  readonly exit: number;
  readonly ms: number;
  /** Empty when the case passed: what a user would have seen go wrong. */
  readonly failures: string[];
  readonly stderr: string;
}

const MAX_MS = 2000;
const TRACE = /^\s+at .+:\d+:\d+\)?$|internal error/m;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Run one case in work (an empty scratch directory of its own) and judge it. */
export function runCase(c: FuzzCase, work: string): Verdict {
  const defs = path.join(work, 'defs');
  const out = path.join(work, 'out');
  fs.mkdirSync(defs, { recursive: true });
  fs.mkdirSync(out, { recursive: true });
  // A name no file system takes (260 characters) is the case's own to fail on: write what can be written.
  const file = path.join(defs, `${c.file.name.slice(0, 200)}.container`);
  fs.writeFileSync(file, c.file.bytes);
  for (const [n, bytes] of c.file.dropins) {
    const d = `${file}.d`;
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, n), bytes);
  }
  const started = process.hrtime.bigint();
  let exit = 0;
  let stderr = '';
  let written: readonly string[] = [];
  try {
    const r = generate({
      names: [file],
      engine: c.engine,
      output: out,
      search: { cwd: defs, user: false, env: { QUADLET_UNIT_DIRS: defs }, uid: 0, home: '/root', packageUnitsDir: path.join(REPO_ROOT, 'units') },
      ctx: machineContext(false),
    });
    written = r.written;
  } catch (e) {
    exit = e instanceof PodgenError ? e.exitCode : ExitCode.internal;
    stderr = describeError(e);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const failures: string[] = [];
  if (exit === ExitCode.internal) failures.push('exit 70 (internal error)');
  if (TRACE.test(stderr)) failures.push('a stack trace on stderr');
  // A message quotes at most a clipped stretch of the input (errors.ts, MAX_MESSAGE_CHARS), plus the file's path.
  const longest = Math.max(0, ...stderr.split('\n').map((l) => l.length));
  if (longest > MAX_MESSAGE_CHARS + 2 * file.length + 200) failures.push(`a ${longest}-character line on stderr`);
  if (ms > MAX_MS) failures.push(`took ${ms.toFixed(0)} ms (> ${MAX_MS})`);
  const left = filesUnder(out);
  if (exit !== 0 && left.length > 0) failures.push(`failed, yet left ${left.map((f) => path.relative(out, f)).join(', ')}`);
  if (exit === 0) {
    const units = left.filter((f) => !fs.lstatSync(f).isSymbolicLink());
    for (const u of units) if (!fs.readFileSync(u, 'utf8').startsWith(GENERATED_MARK)) failures.push(`${path.relative(out, u)} is not a whole unit`);
    if (left.some((f) => /\.podgen-\d+-\d+$/.test(f))) failures.push('a temporary file was left');
    if (written.length !== left.length) failures.push(`reported ${written.length} files, ${left.length} there`);
  }
  return { exit, ms, failures, stderr };
}

/**
 * What systemd itself says of an accepted case's units (`systemd-analyze verify`,
 * offline): every line where it would drop or ignore something podgen wrote,
 * which means the unit does not mean what the definition says. Missing
 * programs and units are this machine's business, not the unit's.
 * [Install] UpheldBy= is expected: podgen makes the .upholds link itself.
 */
export function systemdComplaints(work: string): string[] {
  const out = path.join(work, 'out');
  const units = filesUnder(out).filter((f) => /\.(service|timer|socket|target)$/.test(f) && !fs.lstatSync(f).isSymbolicLink());
  if (units.length === 0) return [];
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((line) => /ignoring|Unknown|Invalid|Failed to parse|Failed to resolve|bad-setting|Refusing|Neither a valid/i.test(line))
    .filter((line) => !/Unknown key '?UpheldBy'? in section \[?Install\]?/.test(line))
    .map((line) => line.split(`${out}/`).join(''));
}

/** Whether systemd-analyze can be run here (test/prepare-host.sh installs it). */
export function canVerifyUnits(): boolean {
  return spawnSync('systemd-analyze', ['--version']).status === 0;
}
