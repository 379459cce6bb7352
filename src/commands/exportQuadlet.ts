// `podgen export quadlet NAME...`: a container's definition (found by its
// container or unit name, or as a definition name or path) as a .container
// file for podman 4.4+, and the .network/.volume files it refers to, as they
// are (Quadlet 4.4 reads those kinds).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { definitionError, PodgenError } from '../errors';
import { exportQuadlet } from '../export/quadlet';
import { loadDefinition } from '../resolve/loadDefinition';
import type { SearchEnv } from '../resolve/searchPaths';
import { definitionFileOf, knownContainers } from './containers';

export interface ExportedFile {
  readonly fileName: string;
  readonly text: string;
  readonly warnings: readonly string[];
}


export function exportQuadletFiles(names: readonly string[], search: SearchEnv): ExportedFile[] {
  const out = new Map<string, ExportedFile>();
  // Names of installed containers are looked up among them, read once for all names.
  const containers = knownContainers(search.user);
  for (const name of names) {
    const loaded = loadDefinition(definitionFileOf(name, containers), search);
    if (loaded.diagnostics.some((d) => d.severity === 'error')) throw definitionError(loaded.diagnostics);
    if (loaded.kind !== 'container') throw new PodgenError(`${loaded.sourcePath} is a .${loaded.kind}; export quadlet takes containers (their networks and volumes come along)`, { kind: 'usage' });
    const fileName = path.basename(loaded.sourcePath);
    const e = exportQuadlet(loaded.unit, loaded.sourcePath, search.user);
    out.set(fileName, { fileName, text: e.text, warnings: e.warnings.map((w) => `${fileName}: ${w}`) });
    for (const [ref, info] of loaded.related) {
      if (!info.found || !info.file || !/\.(network|volume)$/.test(ref) || out.has(ref)) continue;
      out.set(ref, { fileName: ref, text: fs.readFileSync(info.file, 'utf8'), warnings: [] });
    }
  }
  return [...out.values()];
}
