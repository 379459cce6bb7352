// podman's own Quadlet test cases for every kind (.container, .network, .volume,
// .pod, .kube, .image, .build, .artifact), run against `podgen generate
// --engine podman`. The cases live in ../shared/conformance/quadlet-family
// (Apache-2.0, see its NOTICE), one directory per case with a case.json;
// PODGEN_QUADLET_FAMILY_CASES=dir1:dir2 adds more case directories.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAMILY_CASES_DIR, readFamilyCase, runFamilyCase } from '../support/quadletCase';

const roots = [FAMILY_CASES_DIR, ...(process.env.PODGEN_QUADLET_FAMILY_CASES ?? '').split(':').filter(Boolean)];
const caseDirs = roots.flatMap((root) =>
  fs.existsSync(root)
    ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'case.json'))).sort().map((d) => path.join(root, d))
    : [],
);

describe('Quadlet family conformance (--engine podman, every kind)', function () {
  it('finds the shared quadlet-family cases, of every kind', function () {
    assert.ok(fs.existsSync(FAMILY_CASES_DIR), `missing ${FAMILY_CASES_DIR}: CI checks out shared/ beside the repository`);
    const kinds = new Set(caseDirs.map((d) => path.extname(readFamilyCase(d).main)));
    for (const kind of ['.container', '.network', '.volume', '.pod', '.kube', '.image', '.build', '.artifact']) {
      assert.ok(kinds.has(kind), `no ${kind} case among ${caseDirs.length}`);
    }
  });
  for (const dir of caseDirs) {
    it(path.basename(dir), function () {
      const outcome = runFamilyCase(dir);
      assert.deepEqual(outcome.failures, [], `${outcome.failures.join('\n')}\n--- stderr:\n${outcome.stderr}\n--- unit:\n${outcome.unitText ?? '(none)'}`);
    });
  }
});
