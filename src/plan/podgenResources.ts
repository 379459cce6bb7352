// --engine podgen for the kinds besides .container. An .image is a oneshot
// `podgen pull` into podgen's own store, so that containers with
// Image=x.image start once it is there (Requires=/After=, as Quadlet's).
// The other kinds are refused with their file and --engine podman as the way
// out: never ignored.

import type { ResourceDefinition } from '../decode/decodeResource';
import { findSection, lookup, lookupBoolean, lookupNonEmpty } from '../parse/lookup';
import { KIND_SECTION } from '../resolve/relatedUnits';
import { parseReference } from '../image/reference';
import { literal } from '../render/escape';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { oneshotDefaults } from './podmanCommand';
import type { ServiceFile } from './serviceFile';

export function planPodgenImage(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const image = lookupNonEmpty(u, 'Image', 'Image') as string;
  const argv = [...ctx.podgenCommand.map(literal), ...(ctx.user ? ['--user'] : []), 'pull', '--quiet'];
  // podman image pull's default policy is "always": ask the registry (no download when unchanged).
  argv.push('--policy', lookupNonEmpty(u, 'Image', 'Policy') ?? 'always');
  if (lookupBoolean(u, 'Image', 'TLSVerify') === false) {
    const ref = parseReference(image);
    if (ref.ok) argv.push('--insecure-registry', ref.ref.registry);
  }
  argv.push(image);
  service.addCommand('Service', 'ExecStart', argv);
  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen image ${image}`);
  oneshotDefaults(service, true);
  return { service, name: image, image, wantedBy: undefined };
}

/** The kinds the podgen engine cannot run yet: an error at the file, naming the way out. */
export function refuseForPodgen(def: ResourceDefinition, problems: PlanProblems): undefined {
  const why: Readonly<Record<string, string>> = {
    build: 'building images needs a builder (buildah/podman build)',
    kube: 'Kubernetes YAML is played by podman kube play (a later podgen import kube may convert it)',
    artifact: 'OCI artifacts are pulled by podman artifact pull',
  };
  const section = findSection(def.unit, KIND_SECTION[def.kind]);
  problems.errorAt(
    `the podgen engine cannot run .${def.kind} definitions${why[def.kind] ? `: ${why[def.kind]}` : ' yet'}`,
    section && section.line !== undefined ? { file: section.file, line: section.line } : undefined,
    'generate it with --engine podman: podgen then writes the unit the newest Quadlet would',
  );
  return undefined;
}
