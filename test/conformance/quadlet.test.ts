// podman's own Quadlet test cases, run against `podgen generate --engine podman`.
// The cases live in ../shared/conformance/quadlet (Apache-2.0, see its NOTICE);
// PODGEN_QUADLET_CASES=dir1:dir2 adds more case directories.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runQuadletCase, SHARED_CASES_DIR } from '../support/quadletCase';

const dirs = [SHARED_CASES_DIR, ...(process.env.PODGEN_QUADLET_CASES ?? '').split(':').filter(Boolean)];
const cases = dirs.flatMap((d) =>
  fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.container')).sort().map((f) => path.join(d, f)) : [],
);

describe('Quadlet conformance (--engine podman)', function () {
  it('finds the shared conformance cases', function () {
    assert.ok(fs.existsSync(SHARED_CASES_DIR), `missing ${SHARED_CASES_DIR}: CI checks out shared/ beside the repository`);
    assert.ok(cases.length >= 30, `expected the shared cases, found ${cases.length}`);
  });
  for (const file of cases) {
    it(path.basename(file), function () {
      const outcome = runQuadletCase(file);
      assert.deepEqual(outcome.failures, [], `${outcome.failures.join('\n')}\n--- stderr:\n${outcome.stderr}\n--- unit:\n${outcome.unitText ?? '(none)'}`);
    });
  }
});
