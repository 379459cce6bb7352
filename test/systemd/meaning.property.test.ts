// Property: a unit means what its definition says. Random definitions (sizes
// with decimals and suffixes, CPU fractions, stop timeouts including 0,
// signals in any case, restart policies with and without a [Service] section
// of the definition's own (an empty Restart= there is refused: systemd ignores
// it, test/cli/badInput.test.ts), volume paths with spaces, quotes and backslashes, a literal % in
// the command, odd but valid file names) are generated, loaded into the real
// systemd in the sandbox, and what systemd reports over D-Bus is compared with
// what the definition asked for, computed here from the pieces the case was
// built from (not by podgen's own parsers).
//
// Both shapes of a podgen-engine unit are covered (with the restart manager,
// and systemd's static settings when podgen-unit is missing), and the podman
// engine for the settings it writes itself.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { literal } from '../../src/render/escape';
import { STOP_NET_SECONDS } from '../../src/plan/podgenEngine';
import { podgen } from '../support/cli';
import { type Sandbox, useSandbox } from '../support/sandbox';

const UINT64_MAX = '18446744073709551615';
const USEC = 1_000_000;

interface Size {
  readonly text: string;
  readonly bytes: number;
}
interface Cpus {
  readonly text: string;
  readonly usecPerSec: number;
}
interface Sig {
  readonly text: string;
  readonly number: number;
}
type Policy = 'no' | 'always' | 'on-failure' | 'on-failure:3' | 'unless-stopped';

interface Case {
  readonly stem: string;
  readonly memory: Size | undefined;
  readonly cpus: Cpus | undefined;
  readonly stopTimeout: number | undefined;
  readonly signal: Sig | undefined;
  readonly policy: Policy | undefined;
  /** A [Service] section of the definition's own (an empty Environment=, a reset systemd takes): the policy must survive it. */
  readonly serviceSection: boolean;
  readonly volumeSource: string;
  readonly percentArg: string;
}

const MULT = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;
const sizeArb: fc.Arbitrary<Size> = fc
  .record({
    whole: fc.integer({ min: 0, max: 900 }),
    frac: fc.option(fc.stringMatching(/^[0-9]{1,3}$/), { nil: undefined }),
    unit: fc.constantFrom<keyof typeof MULT>('', 'b', 'k', 'm', 'g'),
    upper: fc.boolean(),
    suffix: fc.constantFrom('', 'b', 'ib'),
    space: fc.boolean(),
  })
  .filter((r) => r.whole > 0 || (r.frac !== undefined && /[1-9]/.test(r.frac)))
  .map((r) => {
    const number = r.frac === undefined ? `${r.whole}` : `${r.whole}.${r.frac}`;
    const unitText = r.unit === '' ? '' : `${r.upper ? r.unit.toUpperCase() : r.unit}${r.unit === 'b' ? '' : r.suffix}`;
    // docker/go-units RAMInBytes: float64(number) * unit, truncated.
    return { text: `${number}${r.space && unitText ? ' ' : ''}${unitText}`, bytes: Math.floor(Number(number) * MULT[r.unit]) };
  })
  .filter((s) => s.bytes > 0);

const cpusArb: fc.Arbitrary<Cpus> = fc.integer({ min: 1, max: 40_000 }).map((tenThousandths) => {
  const whole = Math.floor(tenThousandths / 10_000);
  const frac = String(tenThousandths % 10_000).padStart(4, '0').replace(/0+$/, '');
  // docker --cpus N: N CPUs' worth of time per second.
  return { text: frac ? `${whole}.${frac}` : `${whole}`, usecPerSec: tenThousandths * 100 };
});

const SIGNALS: ReadonlyArray<readonly [string, number]> = [['HUP', 1], ['INT', 2], ['QUIT', 3], ['KILL', 9], ['USR1', 10], ['USR2', 12], ['TERM', 15], ['WINCH', 28]];
const sigArb: fc.Arbitrary<Sig> = fc
  .record({ s: fc.constantFrom(...SIGNALS), prefix: fc.boolean(), cased: fc.constantFrom('upper', 'lower', 'mixed'), numeric: fc.boolean() })
  .map(({ s: [name, number], prefix, cased, numeric }) => {
    if (numeric) return { text: String(number), number };
    const word = `${prefix ? 'SIG' : ''}${name}`;
    const text = cased === 'upper' ? word : cased === 'lower' ? word.toLowerCase() : word.replace(/[A-Z]/g, (c, i: number) => (i % 2 ? c.toLowerCase() : c));
    return { text, number };
  });

// Path segments with what tends to break quoting: spaces, quotes, backslashes, %, $.
const segment = fc.stringMatching(/^[a-z0-9 "'\\%$_.-]{1,8}$/).filter((s) => s.trim() === s && s !== '.' && s !== '..');
const volumeArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);

const caseArb: fc.Arbitrary<Case> = fc.record({
  // Valid unit-name characters, odd ones included (":", "\", "."); ContainerName= is set apart.
  stem: fc.stringMatching(/^[a-z][a-z0-9]{0,4}([:_.\\-][a-z0-9]{1,3}){0,2}$/),
  memory: fc.option(sizeArb, { nil: undefined }),
  cpus: fc.option(cpusArb, { nil: undefined }),
  stopTimeout: fc.option(fc.constantFrom(0, 0, 1, 3, 10, 45), { nil: undefined }),
  signal: fc.option(sigArb, { nil: undefined }),
  policy: fc.option(fc.constantFrom<Policy>('no', 'always', 'on-failure', 'on-failure:3', 'unless-stopped'), { nil: undefined }),
  serviceSection: fc.boolean(),
  volumeSource: volumeArb,
  percentArg: fc.stringMatching(/^[a-z]{0,3}%[a-zA-Z0-9%]{0,2}$/),
});

function definition(c: Case, containerName: string): string {
  const lines = ['[Container]', 'Image=docker.io/library/busybox:1.36', `ContainerName=${containerName}`];
  if (c.memory) lines.push(`Memory=${c.memory.text}`);
  if (c.cpus) lines.push(`CPUs=${c.cpus.text}`);
  if (c.stopTimeout !== undefined) lines.push(`StopTimeout=${c.stopTimeout}`);
  if (c.signal) lines.push(`StopSignal=${c.signal.text}`);
  if (c.policy) lines.push(`RestartPolicy=${c.policy}`);
  // Definition text is systemd text: a literal % or $ is written %% and $$.
  lines.push(`Volume=${literal(c.volumeSource)}:/data`);
  lines.push(`Exec=/bin/echo ${literal(c.percentArg)}`);
  if (c.serviceSection) lines.push('[Service]', 'Environment=');
  return `${lines.join('\n')}\n`;
}

/** systemd's D-Bus object path for a unit name (sd_bus_path_encode). */
function objectPath(unit: string): string {
  return `/org/freedesktop/systemd1/unit/${[...Buffer.from(unit)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, '0')}`)).join('')}`;
}

interface Props {
  readonly Id: string;
  readonly RequiresMountsFor: string[];
  readonly MemoryMax: string;
  readonly CPUQuotaPerSecUSec: string;
  readonly TimeoutStopUSec: string;
  readonly KillSignal: number;
  readonly Restart: string;
  readonly ExecStart: string[];
}

function props(sb: Sandbox, unit: string): Props {
  const get = (iface: string, names: readonly string[]): unknown[] => {
    const out = sb.execOk(['busctl', 'get-property', '--json=short', 'org.freedesktop.systemd1', objectPath(unit), `org.freedesktop.systemd1.${iface}`, ...names]);
    return out
      .trim()
      .split('\n')
      // uint64 values (MemoryMax=infinity is 2^64-1) do not fit a JavaScript number: read them as strings.
      .map((l) => (JSON.parse(l.replace(/([:[,])(\d{16,})(?=[,\]}])/g, '$1"$2"')) as { data: unknown }).data);
  };
  const [id, mounts] = get('Unit', ['Id', 'RequiresMountsFor']) as [string, string[]];
  const [memoryMax, quota, timeoutStop, killSignal, restart, execStart] = get('Service', ['MemoryMax', 'CPUQuotaPerSecUSec', 'TimeoutStopUSec', 'KillSignal', 'Restart', 'ExecStart']) as [
    number | string,
    number | string,
    number | string,
    number,
    string,
    Array<[string, string[]]>,
  ];
  const last = execStart[execStart.length - 1];
  assert.ok(last, `${unit} has no ExecStart`);
  return {
    Id: id,
    RequiresMountsFor: mounts,
    MemoryMax: String(memoryMax),
    CPUQuotaPerSecUSec: String(quota),
    TimeoutStopUSec: String(timeoutStop),
    KillSignal: killSignal,
    Restart: restart,
    // systemd turns "$$" into "$" when it runs the command (systemd.service(5), "Command lines").
    ExecStart: last[1].map((a) => a.replace(/\$\$/g, '$')),
  };
}

/** What systemd's Restart= should be: Docker's policy, as the restart manager and the static settings both spell it. */
function expectedRestart(policy: Policy | undefined): string {
  if (policy === 'always' || policy === 'unless-stopped') return 'always';
  if (policy === 'on-failure' || policy === 'on-failure:3') return 'on-failure';
  return 'no';
}

type Shape = 'podgen, restart manager' | 'podgen, static' | 'podman';

function check(shape: Shape, c: Case, p: Props): void {
  const where = `${c.stem} (${shape}): ${JSON.stringify(c)}`;
  assert.equal(p.Id, `${c.stem}.service`, where);
  assert.ok(p.RequiresMountsFor.includes(c.volumeSource), `RequiresMountsFor ${JSON.stringify(p.RequiresMountsFor)} lacks the volume source: ${where}`);
  assert.ok(p.ExecStart.includes(c.percentArg), `ExecStart ${JSON.stringify(p.ExecStart)} lacks ${c.percentArg}: ${where}`);
  assert.ok(p.ExecStart.some((a) => a === `${c.volumeSource}:/data` || a === `--volume=${c.volumeSource}:/data`), `ExecStart lost the volume: ${where}`);
  if (shape === 'podman') {
    // Quadlet's unit leaves limits and signals to podman: they reach it as flags.
    if (c.memory) assert.ok(p.ExecStart.includes(c.memory.text), `--memory lost: ${where}`);
    if (c.policy) assert.equal(p.Restart, expectedRestart(c.policy), `Restart: ${where}`);
    return;
  }
  assert.equal(p.MemoryMax, c.memory ? String(c.memory.bytes) : UINT64_MAX, `MemoryMax: ${where}`);
  assert.equal(p.CPUQuotaPerSecUSec, c.cpus ? String(c.cpus.usecPerSec) : UINT64_MAX, `CPUQuotaPerSecUSec: ${where}`);
  assert.equal(p.KillSignal, c.signal ? c.signal.number : 15, `KillSignal: ${where}`);
  const grace = c.stopTimeout ?? 10;
  // With the manager, podgen-unit stop gives the grace period and systemd's timeout is a net under
  // it; without, systemd's timeout is the grace period (0: SIGKILL at once, which systemd takes as 1 ms).
  const timeout = shape === 'podgen, restart manager' ? (grace + STOP_NET_SECONDS) * USEC : grace === 0 ? 1000 : grace * USEC;
  assert.equal(p.TimeoutStopUSec, String(timeout), `TimeoutStopUSec: ${where}`);
  assert.equal(p.Restart, expectedRestart(c.policy), `Restart: ${where}`);
}

const SHAPES: ReadonlyArray<{ shape: Shape; engine: 'podgen' | 'podman'; env: NodeJS.ProcessEnv }> = [
  { shape: 'podgen, restart manager', engine: 'podgen', env: {} },
  { shape: 'podgen, static', engine: 'podgen', env: { PODGEN_NO_NATIVE_HELPER: '1' } },
  { shape: 'podman', engine: 'podman', env: {} },
];

describe('a unit means what its definition says (random definitions, read back from the real systemd)', function () {
  this.timeout(600_000);
  const env = useSandbox('podgen-meaning-');

  for (const { shape, engine, env: extraEnv } of SHAPES) {
    it(`${shape}: sizes, CPUs, timeouts, signals, restart, mount paths, %, names (8 batches of 8)`, function () {
      const { sb, staging } = env;
      let batch = 0;
      fc.assert(
        fc.property(fc.uniqueArray(caseArb, { minLength: 8, maxLength: 8, selector: (c) => c.stem }), (cases) => {
          batch++;
          const dir = path.join(staging, `${engine}${extraEnv.PODGEN_NO_NATIVE_HELPER ? 's' : 'm'}${batch}`);
          fs.mkdirSync(dir);
          const files = cases.map((c, i) => {
            const f = path.join(dir, `${c.stem}.container`);
            fs.writeFileSync(f, definition(c, `meaning${batch}x${i}`));
            return f;
          });
          const r = podgen(['generate', '--engine', engine, '--output', sb.unitDir, ...files], { cwd: dir, env: extraEnv });
          assert.equal(r.status, 0, r.stderr);
          try {
            sb.execOk(['systemctl', 'daemon-reload']);
            for (const c of cases) {
              const unit = `${c.stem}.service`;
              const loaded = sb.execOk(['systemctl', 'show', '-p', 'LoadState', '--value', unit]).trim();
              assert.equal(loaded, 'loaded', `${unit} did not load (${loaded}): ${sb.exec(['journalctl', '-b', '-n', '20', '--no-pager', '-u', unit]).stdout}`);
              check(shape, c, props(sb, unit));
            }
          } finally {
            for (const c of cases) {
              fs.rmSync(path.join(sb.unitDir, `${c.stem}.service`), { force: true });
              fs.rmSync(path.join(sb.unitDir, 'multi-user.target.wants', `${c.stem}.service`), { force: true });
            }
          }
        }),
        { numRuns: 8, seed: Number(process.env.PODGEN_FC_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
      );
    });
  }
});
