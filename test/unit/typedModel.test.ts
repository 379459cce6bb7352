// One typed value from definition to container: random valid values for the
// podgen engine's keys go through generate, and prepare's own parser reads
// them back from the unit's ExecStart= (split as systemd splits it) as the
// value parsers (src/values) say they mean. A value generate accepts is never
// refused, or read differently, when the unit starts.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { generate, machineContext } from '../../src/commands/generate';
import { defaultSearchEnv } from '../../src/resolve/searchPaths';
import { parseCapability } from '../../src/values/capability';
import { parseCpus } from '../../src/values/cpus';
import type { Parsed } from '../../src/values/parsed';
import { parsePublish, portMappings } from '../../src/values/port';
import { parseSignal } from '../../src/values/signal';
import { parseSize } from '../../src/values/size';
import { parseUlimit } from '../../src/values/ulimit';
import { parsePathList, parseSeccompProfile } from '../../src/values/securityOpt';
import { parseVolume } from '../../src/values/volume';
import { capability, cpus, maskPaths, memory, prepareArgs, publish, seccomp, signal, ulimit, unmaskPaths, volume } from '../support/valueArbitraries';
import { withTempDir } from '../support/tempDir';

const value = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new Error(p.message);
  return p.value;
};

describe('one typed value from definition to prepare (generate, then prepare\'s own parser)', function () {
  this.timeout(120_000);
  let dir = '';
  withTempDir('podgen-typed-', (d) => (dir = d), 'all');

  it('ports, volumes, memory, CPUs, ulimits, capabilities, the stop signal and the security options come back as they were meant, 200 random definitions', function () {
    const ctx = machineContext(false);
    fc.assert(
      fc.property(
        fc.array(publish, { maxLength: 3 }),
        fc.array(volume, { maxLength: 3 }),
        memory,
        cpus,
        fc.uniqueArray(ulimit, { maxLength: 3, selector: (u) => u.split('=')[0] }),
        fc.array(capability, { maxLength: 3 }),
        signal,
        fc.record({ profile: fc.option(seccomp, { nil: undefined }), mask: fc.array(maskPaths, { maxLength: 2 }), unmask: fc.array(unmaskPaths, { maxLength: 2 }), nnp: fc.boolean() }),
        (ports, volumes, mem, cpu, ulimits, caps, stop, sec) => {
          const file = path.join(dir, 'typed.container');
          fs.writeFileSync(
            file,
            [
              '[Container]',
              'Image=docker.io/library/busybox:1.36',
              ...ports.map((p) => `PublishPort=${p}`),
              ...volumes.map((v) => `Volume=${v}`),
              `Memory=${mem}`,
              `CPUs=${cpu}`,
              ...ulimits.map((u) => `Ulimit=${u}`),
              ...(caps.length ? [`AddCapability=${caps.join(' ')}`] : []),
              `StopSignal=${stop}`,
              ...(sec.profile !== undefined ? [`SeccompProfile=${sec.profile}`] : []),
              ...sec.mask.map((m) => `Mask=${m}`),
              ...sec.unmask.map((m) => `Unmask=${m}`),
              `NoNewPrivileges=${sec.nnp}`,
              '',
            ].join('\n'),
          );
          const [unit] = generate({ names: [file], engine: 'podgen', output: undefined, search: { ...defaultSearchEnv(false), cwd: dir }, ctx }).units;
          assert.ok(unit);
          const got = prepareArgs(unit.text);
          assert.deepEqual(got.publish, ports.flatMap((p) => portMappings(value(parsePublish(p)))));
          assert.deepEqual(got.volumes, volumes.map((v) => value(parseVolume(v))));
          assert.equal(got.memory, value(parseSize(mem)));
          assert.equal(got.cpus, value(parseCpus(cpu)) / 10_000);
          assert.deepEqual(got.ulimits, ulimits.map((u) => value(parseUlimit(u))));
          assert.deepEqual(got.capAdd, caps.map((c) => value(parseCapability(c))));
          assert.equal(got.stopSignal, value(parseSignal(stop)).name);
          assert.deepEqual(got.seccomp, sec.profile === undefined ? { kind: 'default' } : value(parseSeccompProfile(sec.profile)));
          assert.deepEqual(got.mask, sec.mask.flatMap((m) => value(parsePathList(m, false))));
          const unmasks = sec.unmask.map((m) => value(parsePathList(m, true)));
          assert.deepEqual(got.unmask, unmasks.includes('ALL') ? 'ALL' : unmasks.flatMap((u) => (u === 'ALL' ? [] : [...u])));
          assert.equal(got.noNewPrivileges, sec.nnp);
          // ...and the unit's own settings mean the same: exact bytes, the quota, the signal's name.
          const memoryMax = /^MemoryMax=(.*)$/m.exec(unit.text)?.[1];
          assert.equal(memoryMax, value(parseSize(mem)) > 0 ? String(value(parseSize(mem))) : undefined);
          assert.equal(/^CPUQuota=(.*)%$/m.exec(unit.text)?.[1], String(value(parseCpus(cpu)) / 100));
          assert.equal(/^KillSignal=(.*)$/m.exec(unit.text)?.[1], value(parseSignal(stop)).name);
        },
      ),
      { numRuns: 200 },
    );
  });
});
