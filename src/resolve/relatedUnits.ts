// Quadlet definitions refer to each other by file name (Network=db.network,
// Volume=data.volume:/data, Requires=db.container). These pure helpers know
// the service and resource names such a reference stands for.

import type { UnitFile } from '../parse/parseUnitFile';
import { lookup, lookupAll, lookupAllStrv } from '../parse/lookup';
import { stripExtension } from './unitName';

export interface RelatedUnit {
  /** Whether the referenced file was found (otherwise Quadlet's default names are assumed). */
  readonly found: boolean;
  /** Service unit name without ".service". */
  readonly serviceName: string;
  /** The podman resource (container, network, volume, pod or image name); undefined when unknown. */
  readonly resourceName: string | undefined;
}

export const QUADLET_EXTENSIONS = ['.container', '.volume', '.network', '.image', '.build', '.pod', '.kube', '.login'] as const;
type QuadletExt = (typeof QUADLET_EXTENSIONS)[number];

export function quadletExtension(name: string): QuadletExt | undefined {
  return QUADLET_EXTENSIONS.find((ext) => name.endsWith(ext) && name.length > ext.length);
}

const SECTION: Record<QuadletExt, string> = {
  '.container': 'Container',
  '.volume': 'Volume',
  '.network': 'Network',
  '.image': 'Image',
  '.build': 'Build',
  '.pod': 'Pod',
  '.kube': 'Kube',
  '.login': 'Login',
};
const SERVICE_SUFFIX: Record<QuadletExt, string> = {
  '.container': '',
  '.volume': '-volume',
  '.network': '-network',
  '.image': '-image',
  '.build': '-build',
  '.pod': '-pod',
  '.kube': '',
  '.login': '-login',
};

/** Names a reference resolves to; `unit` is the referenced file when it was found, else Quadlet's defaults apply. */
export function relatedUnitInfo(reference: string, unit: UnitFile | undefined): RelatedUnit {
  return { found: unit !== undefined, ...names(reference, unit) };
}

function names(reference: string, unit: UnitFile | undefined): Omit<RelatedUnit, 'found'> {
  const ext = quadletExtension(reference) as QuadletExt;
  const base = stripExtension(reference);
  const section = SECTION[ext];
  const serviceName = (unit && lookup(unit, section, 'ServiceName')) || `${base}${SERVICE_SUFFIX[ext]}`;
  const systemdName = `systemd-${base}`;
  const named = (key: string): string => (unit && lookup(unit, section, key)) || systemdName;
  switch (ext) {
    case '.container':
      return { serviceName, resourceName: base.includes('@') ? undefined : named('ContainerName') };
    case '.volume':
      return { serviceName, resourceName: named('VolumeName') };
    case '.network':
      return { serviceName, resourceName: named('NetworkName') };
    case '.pod':
      // A pod has to exist for the container to join it: no default name when the file is missing.
      return { serviceName, resourceName: unit ? named('PodName') : undefined };
    case '.image':
      return { serviceName, resourceName: unit ? (lookup(unit, section, 'ImageTag') ?? lookup(unit, section, 'Image')) : undefined };
    case '.build':
      return { serviceName, resourceName: unit ? lookupAll(unit, section, 'ImageTag')[0] : undefined };
    case '.kube':
      return { serviceName, resourceName: undefined };
    case '.login':
      // A login unit stands for the auth file it writes.
      return { serviceName, resourceName: unit ? lookup(unit, section, 'AuthFile') : undefined };
    default: {
      const never: never = ext;
      return never;
    }
  }
}

/** [Unit] keys whose values Quadlet translates from "x.container" to "x.service". */
export const UNIT_DEPENDENCY_KEYS = [
  'After', 'Before', 'BindsTo', 'Conflicts', 'OnFailure', 'OnSuccess', 'PartOf', 'PropagatesReloadTo',
  'PropagatesStopTo', 'ReloadPropagatedFrom', 'Requires', 'Requisite', 'StopPropagatedFrom', 'Upholds', 'Wants',
] as const;

/** Every Quadlet file a definition refers to, by name. */
export function referencedUnits(unit: UnitFile): string[] {
  const refs = new Set<string>();
  const add = (v: string | undefined): void => {
    if (v && quadletExtension(v)) refs.add(v);
  };
  for (const key of UNIT_DEPENDENCY_KEYS) lookupAllStrv(unit, 'Unit', key).forEach(add);
  for (const n of lookupAll(unit, 'Container', 'Network')) add(n.split(':')[0]);
  for (const vol of lookupAll(unit, 'Container', 'Volume')) {
    const parts = vol.split(':');
    if (parts.length >= 2) add(parts[0]);
  }
  for (const m of lookupAll(unit, 'Container', 'Mount')) {
    const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(m);
    add(src?.[1]);
  }
  add(lookup(unit, 'Container', 'Image'));
  add(lookup(unit, 'Container', 'Pod'));
  add(lookup(unit, 'Container', 'AuthFile'));
  return [...refs];
}
