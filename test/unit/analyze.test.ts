// Reading systemd-analyze verify's output (manage/analyze.ts) and telling a
// complaint at the definition's line (plan/complaints.ts): pure parts.

import { strict as assert } from 'node:assert';
import { complaintsIn } from '../../src/manage/analyze';
import { parseUnitText } from '../../src/parse/parseUnitFile';
import { complaintDiagnostic } from '../../src/plan/complaints';

describe('systemd-analyze verify, read', function () {
  it('keeps the lines systemd would ignore, flags deprecated ones, and leaves the machine\'s business and UpheldBy= alone', function () {
    const dir = '/tmp/podgen-verify-x';
    const output = [
      `${dir}/web.service:8: Failed to parse IO priority, ignoring: 99`,
      `${dir}/web.service:9: Unit uses CPUShares=; please use CPUWeight= instead. Support for CPUShares= will be removed soon.`,
      `${dir}/web.service:30: Unknown key 'UpheldBy' in section [Install], ignoring.`,
      'web.service: Command /usr/bin/podman is not executable: No such file or directory',
      `${dir}/web.service:12: Something informational`,
      '/elsewhere/x.service:3: Failed to parse boolean value, ignoring: yeb',
    ].join('\n');
    assert.deepEqual(complaintsIn(output, dir), [
      { unitName: 'web.service', line: 8, message: 'Failed to parse IO priority, ignoring: 99', deprecated: false },
      { unitName: 'web.service', line: 9, message: 'Unit uses CPUShares=; please use CPUWeight= instead. Support for CPUShares= will be removed soon.', deprecated: true },
    ]);
  });

  it('finds the rendered line again among the definition\'s entries; a line podgen wrote itself is podgen\'s', function () {
    const def = parseUnitText('[Container]\nImage=x\n[Service]\nIOSchedulingPriority=1\nIOSchedulingPriority=99\n', '/d/web.container', 'web.container').unit;
    const text = '# Generated\n[Service]\nIOSchedulingPriority=99\nKillSignal=SIGRTMIN+-2\n';
    const ours = complaintDiagnostic({ unitName: 'web.service', line: 3, message: 'Failed to parse IO priority, ignoring: 99', deprecated: false }, text, def, '/d/web.container');
    assert.deepEqual([ours.file, ours.line, ours.key, ours.severity], ['/d/web.container', 5, 'IOSchedulingPriority', 'error']);
    const podgens = complaintDiagnostic({ unitName: 'web.service', line: 4, message: 'Failed to parse signal name', deprecated: false }, text, def, '/d/web.container');
    assert.equal(podgens.line, undefined);
    assert.match(podgens.message, /line 4 of the generated web\.service \(KillSignal=SIGRTMIN\+-2\) is one systemd would ignore/);
    assert.match(podgens.hint ?? '', /podgen wrote that line itself: please report it/);
  });
});
