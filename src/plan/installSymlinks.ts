// [Install] -> the symlinks `systemctl enable` would create (as Quadlet's
// generator does, since generated units cannot be enabled otherwise).

import * as path from 'node:path';
import { lookup, lookupAllStrv } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import { templateParts } from '../resolve/unitName';
import type { Symlink } from './unitPlan';

/** impliedWantedBy: a target the planner added to [Install] (a restart policy's boot start). */
export function installSymlinks(unit: UnitFile, unitName: string, impliedWantedBy?: string): Symlink[] {
  const links: string[] = [];
  for (const alias of lookupAllStrv(unit, 'Install', 'Alias')) links.push(path.posix.normalize(alias));

  // A bare template (web@.service) is only enabled through DefaultInstance=.
  let enabledName: string | undefined = unitName;
  const { prefix, instance, isTemplate } = templateParts(unitName);
  if (isTemplate && instance === '') {
    const dflt = lookup(unit, 'Install', 'DefaultInstance');
    enabledName = dflt ? `${prefix}@${dflt}.service` : undefined;
  }
  if (enabledName) {
    for (const [key, suffix] of [
      ['WantedBy', 'wants'],
      ['RequiredBy', 'requires'],
      ['UpheldBy', 'upholds'],
    ] as const) {
      for (const by of [...lookupAllStrv(unit, 'Install', key), ...(key === 'WantedBy' && impliedWantedBy ? [impliedWantedBy] : [])]) {
        if (!by.includes('/')) links.push(`${by}.${suffix}/${enabledName}`);
      }
    }
  }
  return links
    .filter((l) => !l.startsWith('..') && !path.posix.isAbsolute(l))
    .map((l) => ({ path: l, target: path.posix.relative(path.posix.dirname(l), unitName) }));
}
