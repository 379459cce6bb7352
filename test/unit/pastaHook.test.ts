// The OCI hook that starts a rootless container's pasta (src/runtime/rootlessSetup.ts), run by
// dash as runc runs it: the state on stdin, pasta replaced by a stand-in that reports the PID it
// was given. In the background form the hook returns at once and leaves the marks podgen-unit
// start waits for (native/start.c); in the other, the hook is pasta's exit.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pastaArgv, pastaHook } from '../../src/runtime/rootlessSetup';
import { withTempDir } from '../support/tempDir';

const STATE = '{"ociVersion":"1.0.2","id":"web","status":"creating","pid":4242,"bundle":"/run/x","annotations":{"a":"pid:1"}}';

describe('the pasta hook (src/runtime/rootlessSetup.ts)', function () {
  let dir = '';
  withTempDir('podgen-hook-', (d) => (dir = d));
  /** The hook's argv with pasta's words replaced by STAND_IN (a shell line: $1 is the PID). */
  const runHook = (background: boolean, standIn: string) => {
    const hook = pastaHook([], path.join(dir, 'pasta.pid'), background);
    const pasta = pastaArgv([], path.join(dir, 'pasta.pid'));
    const at = hook.args.indexOf(pasta[0] as string);
    assert.ok(at > 0, 'pasta is in the hook');
    const args = [...hook.args.slice(0, at), '/bin/sh', '-c', standIn, 'stand-in'];
    return spawnSync('/bin/dash', args.slice(1), { input: STATE, encoding: 'utf8', timeout: 5000 });
  };
  const until = (file: string): string => {
    for (let i = 0; i < 500; i++) {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (text.endsWith('\n')) return text;
      spawnSync('sleep', ['0.01']);
    }
    return '';
  };

  it('waits for pasta, giving it the container\'s PID from the state, when runc runs the container itself', function () {
    const r = runHook(false, 'echo "pid=$1"; exit 3');
    assert.equal(r.status, 3, 'pasta\'s failure is the hook\'s');
    assert.equal(r.stdout, 'pid=4242\n');
    assert.equal(fs.existsSync(path.join(dir, 'network-pending')), false);
  });

  it('in the background: returns before pasta ends, leaves network-pending, then network-done with pasta\'s status and network-err with its words', function () {
    fs.writeFileSync(path.join(dir, 'network-done'), '0\n'); // a stale mark from the last start
    const t0 = Date.now();
    const r = runHook(true, 'sleep 0.5; echo "no such port $1" >&2; exit 7');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - t0 < 400, 'the hook did not wait for pasta');
    assert.ok(fs.existsSync(path.join(dir, 'network-pending')));
    assert.equal(fs.readFileSync(path.join(dir, 'network-done'), 'utf8'), '', 'the stale mark is gone');
    assert.equal(until(path.join(dir, 'network-done')), '7\n');
    assert.equal(fs.readFileSync(path.join(dir, 'network-err'), 'utf8'), 'no such port 4242\n');
  });
});
