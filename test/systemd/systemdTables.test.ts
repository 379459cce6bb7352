// The key tables in src/decode/systemdKeys.ts against the systemd on this
// machine. systemd keeps its settings as gperf strings "Section.Key" in
// libsystemd-core; reading them back tells whether podgen would refuse a key
// systemd knows, or pass one it ignores. If a systemd update adds or drops
// keys, this fails and names them.

import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BOOLEAN_KEYS, INSTALL_KEYS, NO_EMPTY_KEYS, PATH_SETTINGS, type PathSetting, REMOVED_KEYS, SERVICE_KEYS, UNIT_KEYS } from '../../src/decode/systemdKeys';
import { absolutePathProblem, parseSystemdBoolean } from '../../src/values/systemdValue';
import * as os from 'node:os';
import { parseTimespan } from '../../src/values/timespan';

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu/systemd', '/usr/lib/aarch64-linux-gnu/systemd', '/usr/lib/systemd', '/lib/systemd'];

function coreLibrary(): string | undefined {
  for (const dir of LIBRARY_DIRS) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    const lib = names.find((n) => /^libsystemd-core-\d+\.so$/.test(n));
    if (lib) return path.join(dir, lib);
  }
  return undefined;
}

describe('systemd key tables (libsystemd-core on this machine)', function () {
  let keys: Record<'Unit' | 'Service' | 'Install', Set<string>>;
  before(function () {
    const lib = coreLibrary();
    if (!lib) {
      console.log(`      (skipped: no libsystemd-core-*.so in ${LIBRARY_DIRS.join(', ')}; test/prepare-host.sh installs systemd)`);
      this.skip();
    }
    const bytes = fs.readFileSync(lib, 'latin1');
    keys = { Unit: new Set(), Service: new Set(), Install: new Set() };
    for (const m of bytes.matchAll(/(?<=\0)(Unit|Service|Install)\.([A-Za-z0-9]+)(?=\0)/g)) keys[m[1] as 'Unit' | 'Service' | 'Install'].add(m[2] as string);
  });

  const compare = (section: 'Unit' | 'Service' | 'Install', ours: ReadonlySet<string>, podgenOnly: readonly string[]): void => {
    const theirs = keys[section];
    assert.ok(theirs.size > 0, `found no ${section}.* strings in libsystemd-core, which cannot be right`);
    assert.deepEqual([...theirs].filter((k) => !ours.has(k)).sort(), [], `keys systemd knows in [${section}] that podgen would refuse`);
    assert.deepEqual([...ours].filter((k) => !theirs.has(k) && !podgenOnly.includes(k)).sort(), [], `keys podgen passes in [${section}] that systemd ignores`);
  };

  it('[Unit] keys are exactly systemd\'s', function () {
    compare('Unit', UNIT_KEYS, []);
  });
  it('[Service] keys are exactly systemd\'s (service, exec, kill and cgroup settings)', function () {
    compare('Service', SERVICE_KEYS, []);
  });
  it('[Install] keys are systemd\'s, plus UpheldBy= (podgen makes the .upholds link itself; systemctl enable does not know it)', function () {
    compare('Install', INSTALL_KEYS, ['UpheldBy']);
  });
});

describe('time spans (systemd-analyze timespan on this machine)', function () {
  const SPANS = [
    '90', '90s', '1min 30s', '1m30', '1.5h', '500ms', ' 2 d 3h ', '1y 2M 3w', '.5s', '5.', '10us', '7µs', 'infinity', '0',
    '1h30m', '3 minutes', '2weeks', '1 sec 1 msec', '+5', '1s+2s', '5 .5s', '1.5 .5s', '1.0000005s', '0.0000015s', '2.9999999us',
    '', 'yes', '-1s', '5 parsecs', '1,5s', 'infinity s', '1s infinity', '1ss', 'm', '1e3', '0x10', '1 1 ', '5 s s', '++5', '+ 5s', '+.5s', '5.s', '.s', '-0',
  ];
  before(function () {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      console.log('      (skipped: systemd-analyze is not installed; test/prepare-host.sh installs systemd)');
      this.skip();
    }
  });

  it('parseTimespan accepts and refuses what systemd does, with the same microseconds', function () {
    const wrong: string[] = [];
    for (const span of SPANS) {
      const out = spawnSync('systemd-analyze', ['timespan', '--', span], { encoding: 'utf8' });
      const theirs = out.status === 0 ? /μs: (\S+)/.exec(out.stdout)?.[1] : undefined;
      const parsed = parseTimespan(span);
      const ours = parsed.ok ? (parsed.value === Infinity ? '18446744073709551615' : String(parsed.value)) : undefined;
      if (ours !== theirs) wrong.push(`"${span}": systemd ${theirs ?? 'refuses'}, podgen ${ours ?? 'refuses'}`);
    }
    assert.deepEqual(wrong, []);
  });
});

/** One unit per job (some refusals end verify's reading of a file), sixteen verifies at a time: what systemd said of each. */
async function systemdSays(dir: string, jobs: ReadonlyArray<{ id: string; body: string }>): Promise<Map<string, string>> {
  const said = new Map<string, string>();
  const verify = (job: { id: string; body: string }, n: number): Promise<void> =>
    new Promise((resolve) => {
      const file = path.join(dir, `k${n}.service`);
      fs.writeFileSync(file, job.body);
      execFile('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'info' } }, (_err, stdout, stderr) => {
        // Missing files and programs are this machine's business, not the setting's.
        const lines = `${stdout}${stderr}`.split('\n').filter((l) => l.includes(`k${n}.service:`) && !/not found|No such file|does not exist/.test(l));
        if (lines.length > 0) said.set(job.id, lines.join(' / '));
        resolve();
      });
    });
  for (let i = 0; i < jobs.length; i += 16) await Promise.all(jobs.slice(i, i + 16).map((j, k) => verify(j, i + k)));
  return said;
}

const unitWith = (section: 'Unit' | 'Service', key: string, value: string): string =>
  section === 'Unit' ? `[Unit]\n${key}=${value}\n[Service]\nExecStart=/bin/true\n` : `[Service]\nExecStart=/bin/true\n${key}=${value}\n`;

describe('settings systemd reads its own way (systemd-analyze verify on this machine, one unit per case)', function () {
  this.timeout(180_000);
  let dir: string;
  before(function () {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      console.log('      (skipped: systemd-analyze is not installed; test/prepare-host.sh installs systemd)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-keys-'));
  });
  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const everyKey = (value: string): Array<{ id: string; body: string }> =>
    (['Unit', 'Service'] as const).flatMap((section) =>
      [...(section === 'Unit' ? UNIT_KEYS : SERVICE_KEYS)].filter((k) => k !== 'ExecStart').map((key) => ({ id: `${section}.${key}`, body: unitWith(section, key, value) })),
    );
  const keysOf = (said: Map<string, string>, section: string, pattern: RegExp): string[] =>
    [...said].filter(([k, m]) => k.startsWith(`${section}.`) && pattern.test(m)).map(([k]) => k.slice(section.length + 1)).sort();

  it('NO_EMPTY_KEYS are exactly the keys whose empty assignment systemd ignores instead of resetting; REMOVED_KEYS those it says were removed', async function () {
    const said = await systemdSays(dir, everyKey(''));
    const refused = (section: string): string[] => keysOf(said, section, /Failed to|Invalid|ignoring/).filter((k) => !/removed|obsolete/.test(said.get(`${section}.${k}`) ?? ''));
    assert.ok(refused('Service').length > 0, 'systemd refused no empty assignment, which cannot be right');
    assert.deepEqual([...NO_EMPTY_KEYS.Unit].sort(), refused('Unit'));
    assert.deepEqual([...NO_EMPTY_KEYS.Service].sort(), refused('Service'));
    const removed = [...said].filter(([, m]) => /has been removed and it is ignored/.test(m)).map(([k]) => k.split('.')[1] as string);
    assert.deepEqual([...new Set(removed)].sort(), [...REMOVED_KEYS].sort());
  });

  it('BOOLEAN_KEYS are exactly the keys systemd reads as booleans, and parseSystemdBoolean agrees with it on every spelling', async function () {
    const said = await systemdSays(dir, everyKey('yeb'));
    assert.deepEqual([...BOOLEAN_KEYS.Unit].sort(), keysOf(said, 'Unit', /Failed to parse boolean/));
    assert.deepEqual([...BOOLEAN_KEYS.Service].sort(), keysOf(said, 'Service', /Failed to parse boolean/));
    const spellings = ['yes', 'YES', 'y', 'T', 'True', 'on', '1', '0', 'off', 'N', 'f', 'no', 'yeb', '2', 'enable', ' yes '];
    const verdicts = await systemdSays(dir, spellings.map((v) => ({ id: v, body: unitWith('Service', 'RemainAfterExit', v) })));
    assert.deepEqual(spellings.filter((v) => (parseSystemdBoolean(v) !== undefined) !== !verdicts.has(v)), []);
  });

  it('PATH_SETTINGS are the keys systemd wants absolute paths in, and podgen refuses exactly the path values systemd refuses', async function () {
    const said = await systemdSays(dir, everyKey('rel/x'));
    const LEFT_TO_SYSTEMD = ['MountImages', 'USBFunctionDescriptors', 'USBFunctionStrings'];
    for (const section of ['Unit', 'Service'] as const) {
      assert.deepEqual(Object.keys(PATH_SETTINGS[section]).sort(), keysOf(said, section, /not absolute/).filter((k) => !LEFT_TO_SYSTEMD.includes(k)));
    }
    const values = ['/abs', '-/abs', 'rel/x', '-rel', '/a rel', '~', '/a:/b', '!/abs', '|/abs', '+/abs', '-~', '/a /b', '!|/x', '|!/x', '~/x', '-+/x', '+-/x', '--/x'];
    // Every key with the values that tell a list from a single path; every kind of key (list or not,
    // its prefixes, "~") with all of them.
    const kinds = new Set<string>();
    const jobs = (['Unit', 'Service'] as const).flatMap((section) =>
      Object.entries(PATH_SETTINGS[section]).flatMap(([key, spec]) => {
        const kind = JSON.stringify(spec);
        const all = !kinds.has(kind);
        kinds.add(kind);
        return (all ? values : ['/abs', 'rel/x', '/a rel']).map((v) => ({ id: `${section}.${key}=${v}`, body: unitWith(section, key, v) }));
      }),
    );
    const verdicts = await systemdSays(dir, jobs);
    const differ = jobs
      .map((j) => j.id)
      .filter((id) => {
        const [sk, v] = [id.slice(0, id.indexOf('=')), id.slice(id.indexOf('=') + 1)];
        const [section, key] = sk.split('.') as ['Unit' | 'Service', string];
        const spec = PATH_SETTINGS[section][key] as PathSetting;
        const words = spec.list ? v.split(' ') : [v];
        const podgenRefuses = words.some((w) => absolutePathProblem(w, spec.prefixes, spec.home === true) !== undefined);
        return podgenRefuses !== verdicts.has(id);
      })
      .map((id) => `${id}: systemd ${verdicts.has(id) ? `refuses (${verdicts.get(id)})` : 'accepts'}`);
    assert.deepEqual(differ, []);
  });
});
