// Quadlet definitions refer to each other by file name (Network=db.network,
// Volume=data.volume:/data, Requires=db.container). This module is the one
// place that knows Quadlet's kinds, their sections, and the service and
// resource names a file stands for. Pure.

import type { UnitFile } from '../parse/parseUnitFile';
import { lookup, lookupAll, lookupAllStrv } from '../parse/lookup';
import { stripExtension } from './unitName';

export interface RelatedUnit {
  /** Whether the referenced file was found (otherwise Quadlet's default names are assumed). */
  readonly found: boolean;
  /** Where it was found. */
  readonly file?: string;
  /** Service unit name without ".service". */
  readonly serviceName: string;
  /** The podman resource (container, network, volume, pod, image or artifact name); undefined when unknown. */
  readonly resourceName: string | undefined;
}

export const QUADLET_EXTENSIONS = ['.container', '.volume', '.network', '.image', '.build', '.pod', '.kube', '.artifact', '.login'] as const;
export type QuadletExt = (typeof QUADLET_EXTENSIONS)[number];
/** The kinds a definition file can be (a .login file is only ever referred to). */
export type QuadletKind = 'container' | 'volume' | 'network' | 'image' | 'build' | 'pod' | 'kube' | 'artifact';
export const DEFINITION_KINDS: readonly QuadletKind[] = ['container', 'volume', 'network', 'image', 'build', 'pod', 'kube', 'artifact'];

export function quadletExtension(name: string): QuadletExt | undefined {
  return QUADLET_EXTENSIONS.find((ext) => name.endsWith(ext) && name.length > ext.length);
}

/** The definition kind of a file name ("db.network" -> network), or undefined. */
export function definitionKind(name: string): QuadletKind | undefined {
  const ext = quadletExtension(name);
  return ext && ext !== '.login' ? (ext.slice(1) as QuadletKind) : undefined;
}

/** The section holding a kind's own keys ([Container], [Network], ...). */
export const KIND_SECTION: Readonly<Record<QuadletKind | 'login', string>> = {
  container: 'Container',
  volume: 'Volume',
  network: 'Network',
  image: 'Image',
  build: 'Build',
  pod: 'Pod',
  kube: 'Kube',
  artifact: 'Artifact',
  login: 'Login',
};
const SERVICE_SUFFIX: Readonly<Record<QuadletKind | 'login', string>> = {
  container: '',
  volume: '-volume',
  network: '-network',
  image: '-image',
  build: '-build',
  pod: '-pod',
  kube: '',
  artifact: '-artifact',
  login: '-login',
};

function kindOf(ext: QuadletExt): QuadletKind | 'login' {
  return ext.slice(1) as QuadletKind | 'login';
}

/**
 * The service a Quadlet file becomes, without ".service": ServiceName=, else the base name with
 * the kind's suffix ("db.network" -> "db-network"; a template "db@.network" -> "db-network@").
 */
export function quadletServiceName(filename: string, unit: UnitFile | undefined): string {
  const ext = quadletExtension(filename) as QuadletExt;
  const kind = kindOf(ext);
  const explicit = unit && lookup(unit, KIND_SECTION[kind], 'ServiceName');
  if (explicit) return explicit;
  const base = stripExtension(filename);
  // A template keeps the suffix before its "@" (db@.volume -> db-volume@), and so does an instance
  // (db@a.volume -> db-volume@a, an instance of that template; Quadlet would append it: db@a-volume).
  const at = base.indexOf('@');
  if (at !== -1) return `${base.slice(0, at)}${SERVICE_SUFFIX[kind]}@${base.slice(at + 1)}`;
  return `${base}${SERVICE_SUFFIX[kind]}`;
}

/**
 * The podman name of a network, volume or pod: its *Name= key, else "systemd-" + the base name;
 * a template's is "systemd-NAME-%i" so that every instance gets its own.
 */
export function quadletResourceName(filename: string, unit: UnitFile | undefined, key: string): string {
  const ext = quadletExtension(filename) as QuadletExt;
  const explicit = unit && lookup(unit, KIND_SECTION[kindOf(ext)], key);
  if (explicit) return explicit;
  const base = stripExtension(filename);
  const at = base.indexOf('@');
  return at === -1 ? `systemd-${base}` : `systemd-${base.slice(0, at)}-%i`;
}

/** A pod's podman name: PodName=, else "systemd-" + the base name (Quadlet gives pods no template form). */
export function podResourceName(filename: string, unit: UnitFile): string {
  return lookup(unit, 'Pod', 'PodName') || `systemd-${stripExtension(filename)}`;
}

/** Names a reference resolves to; `unit` is the referenced file when it was found, else Quadlet's defaults apply. */
export function relatedUnitInfo(reference: string, unit: UnitFile | undefined): RelatedUnit {
  return { found: unit !== undefined, ...(unit?.path ? { file: unit.path } : {}), serviceName: quadletServiceName(reference, unit), resourceName: resourceNameOf(reference, unit) };
}

function resourceNameOf(reference: string, unit: UnitFile | undefined): string | undefined {
  const ext = quadletExtension(reference) as QuadletExt;
  const base = stripExtension(reference);
  const kind = kindOf(ext);
  const section = KIND_SECTION[kind];
  switch (kind) {
    case 'container':
      return base.includes('@') ? undefined : (unit && lookup(unit, section, 'ContainerName')) || `systemd-${base}`;
    case 'volume':
      return quadletResourceName(reference, unit, 'VolumeName');
    case 'network':
      return quadletResourceName(reference, unit, 'NetworkName');
    case 'pod':
      // A pod has to exist for the container to join it: no default name when the file is missing.
      return unit ? podResourceName(reference, unit) : undefined;
    case 'image':
      return unit ? (lookup(unit, section, 'ImageTag') || lookup(unit, section, 'Image')) : undefined;
    case 'build':
      return unit ? lookupAll(unit, section, 'ImageTag')[0] : undefined;
    case 'artifact':
      return unit ? lookup(unit, section, 'Artifact') : undefined;
    case 'kube':
      return undefined;
    case 'login':
      // A login unit stands for the auth file it writes.
      return unit ? lookup(unit, section, 'AuthFile') : undefined;
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** [Unit] keys whose values Quadlet translates from "x.container" to "x.service". */
export const UNIT_DEPENDENCY_KEYS = [
  'After', 'Before', 'BindsTo', 'Conflicts', 'OnFailure', 'OnSuccess', 'PartOf', 'PropagatesReloadTo',
  'PropagatesStopTo', 'ReloadPropagatedFrom', 'Requires', 'Requisite', 'StopPropagatedFrom', 'Upholds', 'Wants',
] as const;

/** Every Quadlet file a definition refers to, by name, whatever its kind. */
export function referencedUnits(unit: UnitFile): string[] {
  const refs = new Set<string>();
  const add = (v: string | undefined): void => {
    if (v && quadletExtension(v)) refs.add(v);
  };
  for (const key of UNIT_DEPENDENCY_KEYS) lookupAllStrv(unit, 'Unit', key).forEach(add);
  for (const section of Object.values(KIND_SECTION)) {
    for (const n of lookupAll(unit, section, 'Network')) add(n.split(':')[0]);
    for (const vol of lookupAll(unit, section, 'Volume')) {
      const parts = vol.split(':');
      if (parts.length >= 2) add(parts[0]);
    }
    for (const m of lookupAll(unit, section, 'Mount')) {
      const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(m);
      add(src?.[1]);
    }
    add(lookup(unit, section, 'Image'));
    add(lookup(unit, section, 'Pod'));
    add(lookup(unit, section, 'AuthFile'));
  }
  return [...refs];
}
