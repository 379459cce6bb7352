// Quadlet's lookup rules, across every key: a scalar loses one pair of
// surrounding double quotes (Image="busybox" is Image=busybox), and a boolean
// flag is written bare when true and as --flag=false when false (the newest
// Quadlet writes --http-proxy, not --http-proxy=true). Checked for every
// scalar key of the table, not a chosen few.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTAINER_KEYS } from '../../src/decode/containerKeys';
import * as v from '../../src/decode/validate';
import { podgen } from '../support/cli';

/** A valid value for each scalar key (and what it needs besides). */
const SAMPLES: Readonly<Record<string, string>> = {
  AppArmor: 'unconfined', AuthFile: '/etc/auth.json', AutoUpdate: 'registry', CgroupsMode: 'split', ContainerName: 'box',
  Entrypoint: '/bin/sh', Group: 'www', HealthCmd: '/bin/true', HealthInterval: '30s', HealthLogDestination: 'local',
  HealthMaxLogCount: '5', HealthMaxLogSize: '500', HealthOnFailure: 'kill', HealthRetries: '3', HealthStartPeriod: '10s',
  HealthStartupCmd: '/bin/true', HealthStartupInterval: '5s', HealthStartupRetries: '2', HealthStartupSuccess: '1',
  HealthStartupTimeout: '3s', HealthTimeout: '5s', HostName: 'box', IP: '10.88.0.5', IP6: 'fd00::5', Image: 'docker.io/library/busybox:1.36',
  LogDriver: 'journald', Memory: '512m', Notify: 'healthy', PidsLimit: '100', Pod: 'p.pod', Pull: 'always', ReloadSignal: 'SIGHUP',
  RemapUidSize: '10', RemapUsers: 'keep-id', Retry: '3', RetryDelay: '5s', Rootfs: '/srv/root', SeccompProfile: '/etc/seccomp.json',
  SecurityLabelFileType: 'usr_t', SecurityLabelLevel: 's0:c1', SecurityLabelType: 'spc_t', ServiceName: 'box-svc', ShmSize: '64m',
  StopSignal: 'SIGINT', StopTimeout: '5', SubGIDMap: 'gm', SubUIDMap: 'um', Timezone: 'UTC', User: 'www', UserNS: 'keep-id',
  WorkingDir: '/srv', RestartPolicy: 'always', Runtime: 'crun', CPUs: '0.5',
};
const BASE = 'Image=docker.io/library/busybox:1.36\n';
/** What a key needs beside it to be valid at all. */
const NEEDS: Readonly<Record<string, string>> = { Group: 'User=www\n', RemapUidSize: 'RemapUsers=auto\n' };
const needs = (key: string): string => NEEDS[key] ?? (key.startsWith('Health') && key !== 'HealthCmd' ? 'HealthCmd=/bin/true\n' : key === 'Notify' ? 'HealthCmd=/bin/true\n' : '');

describe("Quadlet's lookup rules across every key (--engine podman)", function () {
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-lookup-'));
    fs.writeFileSync(path.join(dir, 'p.pod'), '[Pod]\n');
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const generate = (name: string, body: string): { status: number; out: string; err: string } => {
    const file = path.join(dir, `${name}.container`);
    fs.writeFileSync(file, `[Container]\n${body}`);
    const r = podgen(['generate', '--engine', 'podman', file], { cwd: dir, env: { QUADLET_UNIT_DIRS: dir } });
    // [X-Container] keeps the definition's own lines (quotes and all); the rest is what it means.
    const meaning = r.stdout.replace(/^# Generated.*\n/m, '').replace(/^\[X-Container\]\n(?:.+\n)*/m, '');
    return { status: r.status, out: meaning, err: r.stderr };
  };
  const scalars = CONTAINER_KEYS.filter((k) => k.shape === 'scalar' && !k.deprecated);

  it('every scalar key has a sample here (a new key must be added)', function () {
    const booleans = scalars.filter((k) => k.check === v.boolean).map((k) => k.name);
    assert.deepEqual(scalars.map((k) => k.name).filter((n) => SAMPLES[n] === undefined && !booleans.includes(n)), []);
  });

  it('a scalar value in double quotes means the same as without them, for every scalar key', function () {
    const differ: string[] = [];
    for (const k of scalars) {
      const value = k.check === v.boolean ? 'true' : (SAMPLES[k.name] as string);
      const base = (k.name === 'Image' || k.name === 'Rootfs' ? '' : BASE) + needs(k.name);
      const plain = generate('plain', `${base}${k.name}=${value}\n`);
      const quoted = generate('plain', `${base}${k.name}="${value}"\n`);
      if (plain.status !== 0) {
        differ.push(`${k.name}=${value} itself: ${plain.err}`);
        continue;
      }
      if (quoted.status !== plain.status || quoted.out !== plain.out) differ.push(`${k.name}: ${quoted.err || 'different unit'}`);
    }
    assert.deepEqual(differ, []);
  });

  it('a boolean key becomes a bare flag when true and --flag=false when false, never --flag=true', function () {
    const booleans = scalars.filter((k) => k.check === v.boolean);
    assert.ok(booleans.length >= 8, `${booleans.length} boolean keys`);
    for (const k of booleans) {
      for (const value of ['true', 'yes', 'false', 'no']) {
        const r = generate('flags', `${BASE}${k.name}=${value}\n`);
        assert.equal(r.status, 0, `${k.name}=${value}: ${r.err}`);
        const execStart = /^ExecStart=.*$/m.exec(r.out)?.[0] ?? '';
        assert.doesNotMatch(execStart, /=true\b/, `${k.name}=${value}: ${execStart}`);
      }
    }
    const on = generate('proxy', `${BASE}HttpProxy=yes\n`).out;
    assert.match(on, / --http-proxy /);
    assert.match(generate('proxy', `${BASE}HttpProxy=no\n`).out, / --http-proxy=false /);
    assert.match(generate('ro', `${BASE}ReadOnly=true\n`).out, / --read-only /);
    assert.match(generate('ro', `${BASE}ReadOnly=false\n`).out, / --read-only=false /);
  });
});
