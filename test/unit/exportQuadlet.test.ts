// podgen export quadlet: a definition as a .container file for podman 4.4+.
// Its newer keys become PodmanArgs= flags; the proof is that Quadlet's unit
// for the export (generate --engine podman) runs podman with the same flags as
// the unit for the original, and keeps only keys Quadlet 4.4 knows.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate, machineContext } from '../../src/commands/generate';
import { exportQuadletFiles } from '../../src/commands/exportQuadlet';
import { QUADLET_4_4_KEYS } from '../../src/export/quadlet';
import { parseUnitText } from '../../src/parse/parseUnitFile';
import { EXEC_FLAGS, splitWords } from '../../src/parse/splitWords';
import { defaultSearchEnv } from '../../src/resolve/searchPaths';
import { withTempDir } from '../support/tempDir';

const ctx = machineContext(false, { ...process.env, PODGEN_NO_VERIFY: '1' });

describe('podgen export quadlet', function () {
  let dir = '';
  withTempDir('podgen-export-', (d) => (dir = d), 'all');

  /** The podman run words of the unit Quadlet writes for FILE, sorted (PodmanArgs= come at the end, the keys' flags in their place). */
  const podmanRun = (file: string): string[] => {
    const [u] = generate({ names: [file], engine: 'podman', output: undefined, search: { ...defaultSearchEnv(false), cwd: path.dirname(file) }, ctx }).units;
    assert.ok(u);
    const line = /^ExecStart=(.*)$/m.exec(u.text)?.[1] ?? '';
    const words = splitWords(line, EXEC_FLAGS);
    return joined(words.slice(words.indexOf('run') + 1));
  };
  /** "--flag value" pairs joined as --flag=value, so the two spellings compare equal. */
  const joined = (words: readonly string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      const next = words[i + 1];
      if (/^--[a-z-]+$/.test(w) && next !== undefined && !next.startsWith('-') && !/^--(rm|replace|read-only|init|privileged|env-host|read-only-tmpfs)$/.test(w)) {
        out.push(`${w}=${next}`);
        i++;
      } else out.push(w);
    }
    return out.sort();
  };

  it('newer keys become the flags Quadlet would have written for them; podgen keys are translated, each with a warning; the network and volume come along', function () {
    fs.writeFileSync(path.join(dir, 'data.volume'), '[Volume]\nVolumeName=data\n');
    fs.writeFileSync(path.join(dir, 'back.network'), '[Network]\nSubnet=10.89.7.0/24\n');
    const original = path.join(dir, 'web.container');
    fs.writeFileSync(original, [
      '[Unit]', 'Description=web', '', '[Container]', 'Image=docker.io/library/nginx:1.25', 'PublishPort=8080:80', 'Volume=data.volume:/data', 'Network=back.network',
      'HealthCmd=curl -f http://localhost/', 'HealthInterval=30s', 'Memory=256m', 'Sysctl=net.core.somaxconn=1024 net.ipv4.ip_forward=1',
      'Ulimit=nofile=1024:2048', 'WorkingDir=/srv', 'HostName=web1', 'Tmpfs=/run', 'DNS=1.1.1.1', 'Environment=A=1 "B=two words"', 'EnvironmentFile=/etc/web.env',
      'RestartPolicy=on-failure:3', 'CPUs=0.5', 'Runtime=crun', '',
    ].join('\n'));
    const files = exportQuadletFiles([original], { ...defaultSearchEnv(false), cwd: dir });
    assert.deepEqual(files.map((f) => f.fileName).sort(), ['back.network', 'data.volume', 'web.container']);
    const web = files.find((f) => f.fileName === 'web.container');
    assert.ok(web);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    for (const f of files) fs.writeFileSync(path.join(out, f.fileName), f.text);
    const keys = parseUnitText(web.text, 'x', 'web.container').unit.sections.filter((s) => s.name === 'Container').flatMap((s) => s.entries.map((e) => e.key));
    assert.deepEqual(keys.filter((k) => !QUADLET_4_4_KEYS.has(k)), [], 'only keys Quadlet 4.4 knows');
    // The same podman run flags, but --cpus, which podgen's key adds (Quadlet has none for it).
    const before = podmanRun(original).filter((w) => !w.startsWith('--cpus'));
    const after = podmanRun(path.join(out, 'web.container')).filter((w) => !w.startsWith('--cpus'));
    assert.deepEqual(after, before);
    assert.match(web.text, /--cpus=0\.5/);
    assert.match(web.text, /^\[Service\]\nRestart=on-failure$/m);
    assert.match(web.text, /^StartLimitBurst=4$/m);
    assert.match(web.text, /^\[Install\]\nWantedBy=multi-user\.target$/m);
    assert.ok(web.warnings.some((w) => /on-failure:3 becomes systemd's start limit/.test(w)));
    assert.equal(web.warnings.filter((w) => /newer than Quadlet 4\.4/.test(w)).length, 12, web.warnings.join('\n'));
  });
});
