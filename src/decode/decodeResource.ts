// Parsed .network/.volume/.image/.build/.pod/.kube/.artifact file -> typed
// ResourceDefinition, or every problem at once: known sections and keys, value
// formats, and the rules Quadlet enforces for each kind (at the line that
// breaks them). Pure: no disk, no processes. decodeContainer.ts does .container.

import type { Diagnostic } from '../errors';
import type { Entry, UnitFile } from '../parse/parseUnitFile';
import { findSection, lookup, lookupAll, lookupAllEntries, lookupAllStrv, lookupLastEntry, lookupNonEmpty } from '../parse/lookup';
import { KIND_SECTION, quadletServiceName, type QuadletKind, type RelatedUnit } from '../resolve/relatedUnits';
import { templateParts, type TemplateParts } from '../resolve/unitName';
import { unitNameProblem, unitNameSuggestion } from '../values/unitName';
import { QUADLET_KEY_INDEX } from './containerKeys';
import { checkKeys, checkServiceChoice, checkUserMappings, type Engine, warnUnsupportedServiceKeys } from './decodeContainer';
import { FAMILY_KEY_INDEX } from './familyKeys';
import { checkSpecifiers } from './specifiers';
import { suggest } from './suggest';
import { checkSystemdSections } from './systemdSections';

export type ResourceKind = Exclude<QuadletKind, 'container'>;

export interface ResourceDefinition {
  readonly kind: ResourceKind;
  /** The merged definition; planners read keys through parse/lookup with Quadlet's semantics. */
  readonly unit: UnitFile;
  readonly sourcePath: string;
  readonly template: TemplateParts;
  /** Service unit name without ".service" (ServiceName=, or Quadlet's name for the file). */
  readonly serviceName: string;
  readonly related: ReadonlyMap<string, RelatedUnit>;
  /** For a pod: the services of the containers that join it and start with it (Wants=/Before=). */
  readonly podMembers: readonly string[];
}

export interface ResourceInput {
  readonly kind: ResourceKind;
  readonly unit: UnitFile;
  readonly sourcePath: string;
  readonly engine: Engine;
  readonly related: ReadonlyMap<string, RelatedUnit>;
  readonly podMembers?: readonly string[];
}

export function decodeResource(input: ResourceInput): { definition: ResourceDefinition | undefined; diagnostics: Diagnostic[] } {
  const { unit, kind, engine } = input;
  const section = KIND_SECTION[kind];
  const diagnostics: Diagnostic[] = [];
  const file = input.sourcePath || unit.filename;
  const known = ['Unit', 'Service', 'Install', 'Quadlet', section];
  for (const s of unit.sections) {
    if (known.includes(s.name) || s.name.startsWith('X-')) continue;
    const near = suggest(s.name, known);
    diagnostics.push({
      severity: 'error',
      file: s.file,
      line: s.line,
      message: `unknown section [${s.name}]; a .${kind} file may hold [Unit], [${section}], [Service], [Install], [Quadlet] and [X-*] sections`,
      hint: near ? `did you mean [${near}]?` : `keep custom data in [X-${s.name}], which systemd ignores`,
    });
  }
  // No [Network] at all is a network with every default, as in Quadlet; keys a kind needs are checked below.
  checkKeys(unit, section, FAMILY_KEY_INDEX[kind], engine, diagnostics);
  checkKeys(unit, 'Quadlet', QUADLET_KEY_INDEX, engine, diagnostics);
  checkSpecifiers(unit, diagnostics);
  checkSystemdSections(unit, diagnostics);
  warnUnsupportedServiceKeys(unit, engine, diagnostics);
  KIND_RULES[kind](unit, (at, message, hint) => diagnostics.push({ severity: 'error', file: at?.file ?? file, line: at?.line, section: at ? section : undefined, key: at?.key, message, hint }), diagnostics);

  const serviceName = quadletServiceName(unit.filename, unit);
  const explicitName = lookupNonEmpty(unit, section, 'ServiceName');
  const nameProblem = unitNameProblem(`${serviceName}.service`);
  if (nameProblem) {
    diagnostics.push({
      severity: 'error',
      file,
      line: explicitName ? lookupLastEntry(unit, section, 'ServiceName')?.line : undefined,
      message: explicitName ? `ServiceName "${serviceName}" is no unit name: ${nameProblem}` : `the file name ${unit.filename} cannot name a systemd unit: ${nameProblem}`,
      hint: explicitName ? 'use letters, digits and ":-_.\\"' : `rename it (e.g. ${unitNameSuggestion(serviceName)}.${kind}), or set ServiceName= in [${section}]`,
    });
  }
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return {
    diagnostics,
    definition: ok
      ? { kind, unit, sourcePath: input.sourcePath, template: templateParts(unit.filename), serviceName, related: input.related, podMembers: input.podMembers ?? [] }
      : undefined,
  };
}

type Report = (at: Entry | undefined, message: string, hint?: string) => void;
type Rule = (unit: UnitFile, error: Report, diagnostics: Diagnostic[]) => void;

/** A key that must be there: blame the section's header when it is missing. */
function required(unit: UnitFile, section: string, key: string, error: Report, message: string, hint: string): void {
  if (lookupNonEmpty(unit, section, key)) return;
  const s = findSection(unit, section);
  error(lookupLastEntry(unit, section, key) ?? (s && { key, value: '', file: s.file, line: s.line }), message, hint);
}

/** SetWorkingDirectory= takes yaml (kube), file (build), unit, or for builds a path or URL as the context. */
function checkWorkingDirectory(unit: UnitFile, section: string, error: Report): void {
  const at = lookupLastEntry(unit, section, 'SetWorkingDirectory');
  const value = lookupNonEmpty(unit, section, 'SetWorkingDirectory');
  if (!at || !value) return;
  switch (value.toLowerCase()) {
    case 'yaml':
      if (section !== 'Kube') error(at, `SetWorkingDirectory=${value} is only supported in .kube files`);
      else if (lookupAllStrv(unit, section, 'Yaml').length > 1) error(at, 'SetWorkingDirectory=yaml is only supported when a single Yaml key is provided', 'use SetWorkingDirectory=unit, or one Yaml=');
      return;
    case 'file':
      if (section !== 'Build') error(at, `SetWorkingDirectory=${value} is only supported in .build files`);
      else if (lookup(unit, section, 'File') === undefined) error(at, 'SetWorkingDirectory=file needs a File= key', 'add File=PATH/Containerfile');
      return;
    case 'unit':
      return;
    default:
      if (section !== 'Build') error(at, `unsupported value for WorkingDirectory: ${value}`, 'use SetWorkingDirectory=yaml or unit');
  }
}

const KIND_RULES: Readonly<Record<ResourceKind, Rule>> = {
  network(unit, error) {
    const subnets = lookupAll(unit, 'Network', 'Subnet');
    const gateways = lookupAllEntries(unit, 'Network', 'Gateway');
    const ranges = lookupAllEntries(unit, 'Network', 'IPRange');
    if (subnets.length > 0) {
      if (gateways.length > subnets.length) error(gateways[subnets.length], 'cannot set more gateways than subnets', 'give one Subnet= per Gateway=');
      if (ranges.length > subnets.length) error(ranges[subnets.length], 'cannot set more ranges than subnets', 'give one Subnet= per IPRange=');
    } else if (gateways.length > 0 || ranges.length > 0) {
      error(gateways[0] ?? ranges[0], 'cannot set gateway or range without subnet', 'add Subnet=CIDR before it');
    }
  },
  volume(unit, error) {
    const device = lookupNonEmpty(unit, 'Volume', 'Device');
    const type = lookupLastEntry(unit, 'Volume', 'Type');
    if (type && type.value !== '' && !device) error(type, "key Type can't be used without Device", 'add Device= (the block device, tmpfs or directory to mount)');
    if (lookup(unit, 'Volume', 'Driver') === 'image' && lookup(unit, 'Volume', 'Image') === undefined) {
      error(lookupLastEntry(unit, 'Volume', 'Driver'), 'the key Image is mandatory when using the image driver', 'add Image=NAME or Image=x.image');
    }
  },
  image(unit, error) {
    required(unit, 'Image', 'Image', error, 'no Image key specified', 'add Image=REGISTRY/NAME:TAG to [Image]');
  },
  artifact(unit, error) {
    required(unit, 'Artifact', 'Artifact', error, 'no Artifact key specified', 'add Artifact=REGISTRY/NAME:TAG to [Artifact]');
  },
  build(unit, error) {
    required(unit, 'Build', 'ImageTag', error, 'no ImageTag key specified', 'add ImageTag=localhost/NAME: the tag containers refer to');
    checkWorkingDirectory(unit, 'Build', error);
    const wd = lookupNonEmpty(unit, 'Service', 'WorkingDirectory');
    const setWd = lookupNonEmpty(unit, 'Build', 'SetWorkingDirectory');
    const fileKey = lookupNonEmpty(unit, 'Build', 'File');
    if (!wd && !setWd && !fileKey) {
      const s = findSection(unit, 'Build');
      error(s && { key: 'File', value: '', file: s.file, line: s.line }, 'neither SetWorkingDirectory, nor File key specified', 'add File=PATH/Containerfile or SetWorkingDirectory=unit');
    }
    const contextGiven = setWd !== undefined && !['unit', 'file'].includes(setWd.toLowerCase());
    if (fileKey && !contextGiven && !wd && !setWd && !isAbsoluteOrSpecial(fileKey)) {
      error(lookupLastEntry(unit, 'Build', 'File'), 'relative path in File key requires SetWorkingDirectory key to be set', 'add SetWorkingDirectory=unit, or give File= as an absolute path');
    }
  },
  kube(unit, error, diagnostics) {
    required(unit, 'Kube', 'Yaml', error, 'no Yaml key specified', 'add Yaml=PATH/pod.yaml to [Kube]');
    checkWorkingDirectory(unit, 'Kube', error);
    checkServiceChoice(unit, 'KillMode', ['mixed', 'control-group'], 'invalid KillMode', 'kube units need KillMode=mixed (the default) or control-group', diagnostics);
    checkServiceChoice(unit, 'Type', ['notify', 'oneshot'], 'invalid service Type', 'leave Type= unset, or use Type=oneshot for a YAML with no long-running containers', diagnostics);
    checkUserMappings(unit, 'Kube', false, diagnostics);
  },
  pod(unit, _error, diagnostics) {
    checkUserMappings(unit, 'Pod', true, diagnostics);
  },
};

/** A path Quadlet takes as it is: absolute, starting with a systemd specifier, or a URL. */
export function isAbsoluteOrSpecial(p: string): boolean {
  return p.startsWith('/') || (p.startsWith('%') && !p.startsWith('%%')) || isUrl(p);
}

/** What Quadlet takes for a remote build context or Containerfile. */
export function isUrl(p: string): boolean {
  return /^((https?)|(git):\/\/)|(github\.com\/).+$/.test(p);
}
