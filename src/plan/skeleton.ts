// The part of a unit both engines share: the definition's own [Unit],
// [Service] and [Install] passed through, references to other Quadlet files
// translated to service names, network-online ordering, and the definition
// kept as [X-Container] (or [X-Network], ...) so `systemctl cat` shows where the unit came from.

import type { ContainerDefinition } from '../decode/decodeContainer';
import { lookupAllStrv, lookupBooleanOr } from '../parse/lookup';
import { quadletExtension, UNIT_DEPENDENCY_KEYS } from '../resolve/relatedUnits';
import type { PlanProblems } from './context';
import { ServiceFile } from './serviceFile';

/**
 * networkWait: the unit to order after when DefaultDependencies applies (undefined: none).
 * kindSection: the definition's own section ([Container], [Network], ...), kept as [X-...].
 */
export function serviceSkeleton(
  def: Pick<ContainerDefinition, 'unit' | 'related' | 'sourcePath'>,
  networkWait: string | undefined,
  problems: PlanProblems,
  kindSection = 'Container',
): ServiceFile {
  const service = ServiceFile.copyOf(def.unit);
  for (const key of UNIT_DEPENDENCY_KEYS) {
    const deps = lookupAllStrv(def.unit, 'Unit', key);
    if (!deps.some((d) => quadletExtension(d))) continue;
    const translated = deps.map((d) => {
      if (!quadletExtension(d)) return d;
      const info = def.related.get(d);
      // Ordering against a unit that does not exist is almost always a typo: refuse it, as Quadlet does.
      if (!info?.found) {
        problems.error(`unable to translate dependency for ${d}: no ${d} next to the definition or in the Quadlet directories`, key, undefined, 'Unit');
      }
      return `${info?.serviceName ?? d}.service`;
    });
    service.unset('Unit', key);
    service.add('Unit', key, translated.join(' '));
  }
  // Image pulls and published ports need the network up (podman#21873).
  if (networkWait && lookupBooleanOr(def.unit, 'Quadlet', 'DefaultDependencies', true)) {
    service.prepend('Unit', 'After', networkWait);
    service.prepend('Unit', 'Wants', networkWait);
  }
  if (def.sourcePath) service.add('Unit', 'SourcePath', def.sourcePath);
  service.rename(kindSection, `X-${kindSection}`);
  service.rename('Quadlet', 'X-Quadlet');
  return service;
}
