// `podgen export kube NAME...`: containers as Kubernetes YAML. The container
// is read as the podgen engine runs it (the docker run flags its unit hands to
// prepare, parsed by prepare's own parser), so what is exported is what runs
// here. Every object is checked against the Kubernetes API schema
// (kubernetes-models) before anything is printed.

import * as path from 'node:path';
import { Document } from 'yaml';
import { definitionError, PodgenError } from '../errors';
import { type KubeExport, type KubeObject, toKube } from '../export/kube';
import { lookup, lookupNonEmpty } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import { HEALTH_FLAGS } from '../plan/runFlags';
import { type HealthConfig, type HealthOptions, parseHealth } from '../runtime/healthConfig';
import { EXEC_FLAGS, splitWords } from '../parse/splitWords';
import type { PlanContext } from '../plan/context';
import { parseRestartPolicy } from '../restart/policy';
import { loadDefinition } from '../resolve/loadDefinition';
import type { SearchEnv } from '../resolve/searchPaths';
import { parseRunArgs, type RunArgs } from '../runtime/runArgs';
import { definitionFileOf, knownContainers } from './containers';
import { generate } from './generate';

/** The docker run flags a podgen-engine unit gives prepare, as the process receives them (systemd's %% and $$ undone). */
export function runArgsOfUnit(unitText: string): RunArgs {
  const line = /^ExecStart=(.*)$/m.exec(unitText)?.[1] ?? '';
  const words = splitWords(line, EXEC_FLAGS).map((w) => w.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  const at = words.indexOf('prepare');
  const dash = words.indexOf('--', at);
  if (at === -1 || dash === -1) throw new PodgenError('internal: the unit does not run podgen prepare', { kind: 'internal' });
  return parseRunArgs(words.slice(dash + 1));
}


/** The health check: the podgen engine runs it beside the container (not through prepare), so it is read from the definition's keys. */
function healthOf(unit: UnitFile): HealthConfig | undefined {
  const options: Record<string, string> = {};
  for (const [key, option] of HEALTH_FLAGS) {
    const v = lookupNonEmpty(unit, 'Container', key);
    if (v !== undefined) options[option] = v;
  }
  const h = parseHealth(options as HealthOptions);
  return h.ok ? h.config : undefined;
}

/** The Kubernetes API schema's verdict on one object (kubernetes-models), as an error naming the object. */
function validate(o: KubeObject): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const models: Record<KubeObject['kind'], () => new (body: Record<string, unknown>) => { validate(): void }> = {
    Deployment: () => (require('kubernetes-models/apps/v1/Deployment') as { Deployment: new (b: Record<string, unknown>) => { validate(): void } }).Deployment,
    Pod: () => (require('kubernetes-models/v1/Pod') as { Pod: new (b: Record<string, unknown>) => { validate(): void } }).Pod,
    Service: () => (require('kubernetes-models/v1/Service') as { Service: new (b: Record<string, unknown>) => { validate(): void } }).Service,
    PersistentVolumeClaim: () => (require('kubernetes-models/v1/PersistentVolumeClaim') as { PersistentVolumeClaim: new (b: Record<string, unknown>) => { validate(): void } }).PersistentVolumeClaim,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  try {
    new (models[o.kind]())(o.body).validate();
  } catch (e) {
    throw new PodgenError(`internal: the exported ${o.kind} does not pass the Kubernetes API schema: ${(e as Error).message}`, { kind: 'internal' });
  }
}

export interface KubeYaml {
  readonly yaml: string;
  readonly objects: readonly KubeObject[];
  readonly warnings: readonly string[];
}

export function exportKube(names: readonly string[], search: SearchEnv, ctx: PlanContext): KubeYaml {
  const all: KubeExport[] = [];
  // Names of installed containers are looked up among them, read once for all names.
  const containers = knownContainers(search.user);
  for (const name of names) {
    const file = definitionFileOf(name, containers);
    const loaded = loadDefinition(file, search);
    if (loaded.diagnostics.some((d) => d.severity === 'error')) throw definitionError(loaded.diagnostics);
    if (loaded.kind !== 'container') throw new PodgenError(`${loaded.sourcePath} is a .${loaded.kind}; export kube takes containers`, { kind: 'usage' });
    const [unit] = generate({ names: [loaded.sourcePath], engine: 'podgen', output: undefined, search: { ...search, cwd: path.dirname(loaded.sourcePath) }, ctx }).units;
    if (!unit) throw new PodgenError(`${loaded.sourcePath} generated no unit`, { kind: 'internal' });
    const policy = lookup(loaded.unit, 'Container', 'RestartPolicy');
    const parsed = policy === undefined ? undefined : parseRestartPolicy(policy);
    const containerName = lookup(loaded.unit, 'Container', 'ContainerName') ?? unit.plan.unitName.replace(/\.service$/, '');
    all.push(toKube(containerName, { ...runArgsOfUnit(unit.text), health: healthOf(loaded.unit) }, parsed?.ok ? parsed.policy : undefined));
  }
  const objects = all.flatMap((e) => e.objects);
  // One PersistentVolumeClaim per volume, however many containers mount it.
  const unique = objects.filter((o, i) => o.kind !== 'PersistentVolumeClaim' || objects.findIndex((x) => x.kind === o.kind && JSON.stringify(x.body) === JSON.stringify(o.body)) === i);
  for (const o of unique) validate(o);
  const yaml = unique
    .map((o) => {
      const doc = new Document(o.body, { aliasDuplicateObjects: false });
      if (o.comments.length) doc.commentBefore = o.comments.map((c) => ` ${c}`).join('\n');
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
  return { yaml, objects: unique, warnings: all.flatMap((e) => e.warnings) };
}
