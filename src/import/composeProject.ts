// A validated compose file -> definitions: one .container per service, a
// .network and a .volume per declared network and volume (and the default
// network), following the Compose Specification. Each service field becomes
// docker run flags, read by the one run-flag importer (importRun.ts), so a
// compose value means what the same docker run flag means; a field podgen
// cannot honour is an error at its file:line:column naming the service, or
// with skipUnsupported a warning and the field is left out. Pure. (Networks,
// volumes and volumes: entries are composeResources.ts; the depends_on cycle
// check composeOrder.ts.)

import * as path from 'node:path';
import type { Engine } from '../decode/decodeContainer';
import { type Diagnostic, PodgenError } from '../errors';
import type { ComposeSource, YamlPath } from './composeFile';
import { type Assignment, importRun } from './importRun';
import { splitCommandString } from './shellLine';
import { type ComposeContext, isObj, list, listOrDict, networkDefinitions, str, volumeDefinitions, volumeWords } from './composeResources';
import { findCycle } from './composeOrder';
import { parseDuration } from '../values/duration';

export interface ComposeOptions {
  readonly project: string;
  readonly engine: Engine;
  /** The compose file's directory: relative paths (./data, env_file) are relative to it. */
  readonly dir: string;
  /** The environment (the process's, with .env under it): -e NAME with no value, as docker compose. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly profiles: readonly string[];
  readonly skipUnsupported: boolean;
  readonly shortNameRegistry: string;
}

/** One definition file to write. */
export interface ComposeDefinition {
  readonly fileName: string;
  readonly kind: 'container' | 'network' | 'volume';
  /** [Container] assignments (containers) or [Network]/[Volume] entries (already definition text). */
  readonly assignments: readonly Assignment[];
  readonly entries: ReadonlyArray<readonly [string, string]>;
  readonly unit: ReadonlyArray<readonly [string, string]>;
  readonly extra: ReadonlyArray<readonly [string, string]>;
  readonly comments: readonly string[];
}

export interface ComposeImport {
  readonly project: string;
  readonly definitions: readonly ComposeDefinition[];
  readonly diagnostics: readonly Diagnostic[];
  /** Services left out by their profiles. */
  readonly inactive: readonly string[];
}

type Obj = Record<string, unknown>;

/** A compose name as part of a unit or resource name: lower case, letters, digits, "-", "_", ".". */
export function projectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_.-]/g, '').replace(/^[^a-z0-9]+/, '') || 'default';
}

/** Service fields podgen maps; every other field the schema allows is reported as unsupported. */
const MAPPED = new Set([
  'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'tmpfs', 'networks', 'network_mode', 'depends_on',
  'healthcheck', 'restart', 'deploy', 'user', 'working_dir', 'hostname', 'cap_add', 'cap_drop', 'read_only', 'ulimits', 'mem_limit', 'cpus',
  'pids_limit', 'labels', 'stop_signal', 'stop_grace_period', 'init', 'container_name', 'privileged', 'dns', 'dns_search', 'dns_opt',
  'extra_hosts', 'sysctls', 'security_opt', 'shm_size', 'tty', 'stdin_open', 'pull_policy', 'profiles', 'devices', 'group_add', 'logging',
  'build', 'scale',
]);

const SERVICE_HINT = 'leave it out, or import with --skip-unsupported to write the other fields without it';

export function composeToDefinitions(src: ComposeSource, opts: ComposeOptions): ComposeImport {
  const diagnostics: Diagnostic[] = [];
  const data = src.data;
  const services = isObj(data.services) ? data.services : {};
  const networks = isObj(data.networks) ? data.networks : {};
  const volumes = isObj(data.volumes) ? data.volumes : {};
  const p = opts.project;
  const at = (pathTo: YamlPath, keyOnly = true): { file: string; line: number; column: number } => ({ file: src.file, ...src.locate(pathTo, keyOnly) });
  const error = (pathTo: YamlPath, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', ...at(pathTo), message, ...(hint ? { hint } : {}) });
  };
  /** A field podgen cannot honour: an error, or with skipUnsupported a warning (and the caller leaves it out). */
  const unsupported = (pathTo: YamlPath, message: string, hint = SERVICE_HINT): void => {
    diagnostics.push({ severity: opts.skipUnsupported ? 'warning' : 'error', ...at(pathTo), message: `${message}${opts.skipUnsupported ? ' (left out: --skip-unsupported)' : ''}`, hint });
  };

  const ctx: ComposeContext = { file: src.file, opts, networks, volumes, error, unsupported };
  for (const top of ['secrets', 'configs']) if (data[top] !== undefined) unsupported([top], `${top}: podgen does not import compose ${top}`, 'mount the files with volumes:, or use a Quadlet Secret= with --engine podman');

  // Profiles: a service with profiles runs only when one of them is enabled.
  const active = Object.keys(services).filter((s) => {
    const prof = list((services[s] as Obj).profiles).map(str);
    return prof.length === 0 || prof.some((x) => opts.profiles.includes(x));
  }).sort();
  const inactive = Object.keys(services).filter((s) => !active.includes(s)).sort();

  // depends_on: every name known, no cycle.
  const deps = new Map<string, Array<{ name: string; condition: string; required: boolean }>>();
  for (const s of active) {
    const d = (services[s] as Obj).depends_on;
    const entries = isObj(d)
      ? Object.entries(d).map(([name, c]) => ({ name, condition: str((c as Obj).condition) || 'service_started', required: (c as Obj).required !== false }))
      : list(d).map((n) => ({ name: str(n), condition: 'service_started', required: true }));
    for (const e of entries) {
      if (!(e.name in services)) error(['services', s, 'depends_on', ...(isObj(d) ? [e.name] : [])], `service "${s}" depends on "${e.name}", which is not a service of this file`, `services here: ${Object.keys(services).join(', ')}`);
      else if (!active.includes(e.name) && e.required) error(['services', s, 'depends_on'], `service "${s}" depends on "${e.name}", whose profiles are not enabled`, `enable one with --profile`);
    }
    deps.set(s, entries.filter((e) => active.includes(e.name)));
  }
  const cycle = findCycle(active, deps);
  if (cycle) error(['services', cycle[0] as string, 'depends_on'], `depends_on forms a cycle: ${cycle.join(' -> ')}`, 'a service cannot (indirectly) wait for itself');
  // service_healthy: the dependency needs a health check, and its unit is then ready only when healthy.
  const healthyTargets = new Set<string>();
  for (const [s, es] of deps) {
    for (const e of es) {
      if (e.condition === 'service_healthy') {
        const hc = (services[e.name] as Obj).healthcheck;
        if (!isObj(hc) || hc.disable === true || hc.test === undefined) error(['services', s, 'depends_on', e.name], `service "${s}" waits for "${e.name}" to be healthy, but "${e.name}" has no healthcheck`, `give ${e.name} a healthcheck: test`);
        healthyTargets.add(e.name);
      } else if (e.condition === 'service_completed_successfully') {
        unsupported(['services', s, 'depends_on', e.name], `service "${s}": depends_on condition service_completed_successfully has no unit ordering podgen can give (a container's unit is up while it runs)`);
      }
    }
  }

  const usedNetworks = new Set<string>();
  const definitions: ComposeDefinition[] = [];
  for (const s of active) {
    const svc = services[s] as Obj;
    const base: YamlPath = ['services', s];
    const fields: Array<{ path: YamlPath; words: string[] }> = [];
    const add = (field: string, ...words: string[]): void => {
      fields.push({ path: [...base, field], words });
    };
    for (const field of Object.keys(svc)) {
      if (field.startsWith('x-') || MAPPED.has(field)) continue;
      unsupported([...base, field], `service "${s}": ${field} is not something podgen can express in a unit`);
    }
    if (svc.build !== undefined) unsupported([...base, 'build'], `service "${s}": build: podgen runs images, it does not build them`, 'build the image first (podman build / docker build -t NAME) and name it in image:');
    if (svc.scale !== undefined && svc.scale !== 1) unsupported([...base, 'scale'], `service "${s}": scale ${str(svc.scale)}: one unit runs one container`);
    const image = str(svc.image);
    if (!image) {
      error(base, `service "${s}" has no image`, 'name the image to run in image:');
      continue;
    }
    add('container_name', '--name', str(svc.container_name) || `${p}-${s}`);
    // Environment and files.
    for (const [k, v] of listOrDict(svc.environment)) add('environment', '-e', v === undefined ? k : `${k}=${v}`);
    for (const f of list(svc.env_file)) {
      const file = isObj(f) ? str(f.path) : str(f);
      const required = !isObj(f) || f.required !== false;
      add('env_file', '--env-file', `${required ? '' : '-'}${path.resolve(opts.dir, file)}`);
    }
    for (const [k, v] of listOrDict(svc.labels)) add('labels', '--label', v === undefined ? k : `${k}=${v}`);
    // Ports.
    for (const [i, port] of list(svc.ports).entries()) {
      if (!isObj(port)) {
        add('ports', '-p', str(port));
        continue;
      }
      const host = port.host_ip ? `${str(port.host_ip)}:` : '';
      const published = port.published !== undefined ? `${str(port.published)}:` : host ? ':' : '';
      fields.push({ path: [...base, 'ports', i], words: ['-p', `${host}${published}${str(port.target)}${port.protocol ? `/${str(port.protocol)}` : ''}`] });
    }
    for (const e of list(svc.expose)) add('expose', '--expose', str(e));
    // Volumes.
    for (const [i, v] of list(svc.volumes).entries()) {
      const vp: YamlPath = [...base, 'volumes', i];
      const words = volumeWords(ctx, v, vp);
      if (words) fields.push({ path: vp, words });
    }
    for (const t of list(svc.tmpfs)) add('tmpfs', '--tmpfs', str(t));
    // Networks.
    const mode = str(svc.network_mode);
    if (mode) {
      if (svc.networks !== undefined) error([...base, 'network_mode'], `service "${s}" has both network_mode and networks`, 'keep one of them');
      const target = /^service:(.+)$/.exec(mode)?.[1];
      if (target) add('network_mode', '--network', `${p}-${target}.container`);
      else if (['host', 'none', 'bridge'].includes(mode)) add('network_mode', '--network', mode);
      else unsupported([...base, 'network_mode'], `service "${s}": network_mode ${mode} is not host, none, bridge or service:NAME`);
    } else {
      const nets = isObj(svc.networks) ? Object.entries(svc.networks) : svc.networks === undefined ? [['default', null] as const] : list(svc.networks).map((n) => [str(n), null] as const);
      for (const [n, cfg] of nets) {
        if (n !== 'default' && !(n in networks)) {
          error([...base, 'networks', n], `service "${s}" is on network "${n}", which the file does not declare under networks:`, 'declare it at the top level');
          continue;
        }
        usedNetworks.add(n);
        const ext = networks[n];
        const external = isObj(ext) && ext.external !== undefined && ext.external !== false;
        const name = external ? str(ext.name) || n : undefined;
        add('networks', '--network', name ?? `${p}-${n}.network`);
        if (isObj(cfg)) {
          for (const a of list(cfg.aliases)) add('networks', '--network-alias', str(a));
          if (cfg.ipv4_address !== undefined) add('networks', '--ip', str(cfg.ipv4_address));
          if (cfg.ipv6_address !== undefined) add('networks', '--ip6', str(cfg.ipv6_address));
        }
      }
      // Other services find it by its service name, as compose's DNS answers.
      add('networks', '--network-alias', s);
    }
    // depends_on -> unit ordering.
    const unit: Array<readonly [string, string]> = [['Description', `${s} (compose project ${p})`]];
    for (const e of deps.get(s) ?? []) {
      unit.push([e.required ? 'Requires' : 'Wants', `${p}-${e.name}.service`], ['After', `${p}-${e.name}.service`]);
    }
    // Health check.
    const hc = svc.healthcheck;
    if (isObj(hc)) {
      if (hc.disable === true) add('healthcheck', '--no-healthcheck');
      else if (hc.test !== undefined) {
        const test = Array.isArray(hc.test) ? hc.test.map(str) : ['CMD-SHELL', str(hc.test)];
        if (test[0] === 'NONE') add('healthcheck', '--no-healthcheck');
        else add('healthcheck', '--health-cmd', JSON.stringify(test));
        for (const [k, flag] of [['interval', 'interval'], ['timeout', 'timeout'], ['retries', 'retries'], ['start_period', 'start-period']] as const) {
          if (hc[k] !== undefined) add('healthcheck', `--health-${flag}`, str(hc[k]));
        }
        if (hc.start_interval !== undefined) unsupported([...base, 'healthcheck', 'start_interval'], `service "${s}": healthcheck start_interval has no podman counterpart`);
      }
    }
    // Restart.
    const deploy = isObj(svc.deploy) ? svc.deploy : {};
    const rp = isObj(deploy.restart_policy) ? deploy.restart_policy : undefined;
    if (rp) {
      const condition = str(rp.condition) || 'any';
      const attempts = rp.max_attempts === undefined ? undefined : Number(rp.max_attempts);
      for (const k of ['delay', 'window'] as const) {
        if (rp[k] !== undefined && !(parseDuration(str(rp[k])).ok && (parseDuration(str(rp[k])) as { value: number }).value === 0)) {
          unsupported([...base, 'deploy', 'restart_policy', k], `service "${s}": restart_policy ${k} ${str(rp[k])}: podgen restarts with Docker's back-off (100 ms doubling), which a fixed ${k} would not mean`);
        }
      }
      if (condition === 'none') add('deploy', '--restart', 'no');
      else if (condition === 'on-failure') add('deploy', '--restart', attempts === undefined ? 'on-failure' : `on-failure:${attempts}`);
      else if (attempts !== undefined) unsupported([...base, 'deploy', 'restart_policy', 'max_attempts'], `service "${s}": max_attempts with condition ${condition}: Docker's restart policies count attempts only for on-failure`);
      else add('deploy', '--restart', 'always');
    } else if (svc.restart !== undefined) add('restart', '--restart', str(svc.restart));
    if (deploy.replicas !== undefined && deploy.replicas !== 1) unsupported([...base, 'deploy', 'replicas'], `service "${s}": replicas ${str(deploy.replicas)}: one unit runs one container`);
    const limits = isObj(deploy.resources) && isObj(deploy.resources.limits) ? deploy.resources.limits : {};
    if (limits.memory !== undefined) add('deploy', '-m', str(limits.memory));
    if (limits.cpus !== undefined) add('deploy', '--cpus', str(limits.cpus));
    if (limits.pids !== undefined) add('deploy', '--pids-limit', str(limits.pids));
    if (isObj(deploy.resources) && deploy.resources.reservations !== undefined) unsupported([...base, 'deploy', 'resources', 'reservations'], `service "${s}": resource reservations: podgen sets limits only`);
    for (const k of Object.keys(deploy)) {
      if (!['restart_policy', 'resources', 'replicas', 'labels'].includes(k) && !k.startsWith('x-')) unsupported([...base, 'deploy', k], `service "${s}": deploy.${k} is a swarm setting with no meaning on one host`);
    }
    // The rest, flag by flag.
    if (svc.user !== undefined) add('user', '-u', str(svc.user));
    if (svc.working_dir !== undefined) add('working_dir', '-w', str(svc.working_dir));
    if (svc.hostname !== undefined) add('hostname', '-h', str(svc.hostname));
    for (const c of list(svc.cap_add)) add('cap_add', '--cap-add', str(c));
    for (const c of list(svc.cap_drop)) add('cap_drop', '--cap-drop', str(c));
    if (svc.read_only === true) add('read_only', '--read-only');
    if (svc.privileged === true) add('privileged', '--privileged');
    if (svc.init === true) add('init', '--init');
    if (isObj(svc.ulimits)) {
      for (const [k, v] of Object.entries(svc.ulimits)) add('ulimits', '--ulimit', isObj(v) ? `${k}=${str(v.soft)}:${str(v.hard)}` : `${k}=${str(v)}`);
    }
    if (svc.mem_limit !== undefined) add('mem_limit', '-m', str(svc.mem_limit));
    if (svc.cpus !== undefined) add('cpus', '--cpus', str(svc.cpus));
    if (svc.pids_limit !== undefined) add('pids_limit', '--pids-limit', str(svc.pids_limit));
    if (svc.shm_size !== undefined) add('shm_size', '--shm-size', str(svc.shm_size));
    if (svc.stop_signal !== undefined) add('stop_signal', '--stop-signal', str(svc.stop_signal));
    if (svc.stop_grace_period !== undefined) {
      const d = parseDuration(str(svc.stop_grace_period));
      if (d.ok) add('stop_grace_period', '--stop-timeout', String(Math.ceil(d.value / 1000)));
    }
    for (const d of list(svc.dns)) add('dns', '--dns', str(d));
    for (const d of list(svc.dns_search)) add('dns_search', '--dns-search', str(d));
    for (const d of list(svc.dns_opt)) add('dns_opt', '--dns-option', str(d));
    for (const [h, ip] of listOrDict(svc.extra_hosts, ':')) add('extra_hosts', '--add-host', `${h}:${ip ?? ''}`);
    for (const [k, v] of listOrDict(svc.sysctls)) add('sysctls', '--sysctl', `${k}=${v ?? ''}`);
    for (const o of list(svc.security_opt)) add('security_opt', '--security-opt', str(o));
    for (const d of list(svc.devices)) add('devices', '--device', str(d));
    for (const g of list(svc.group_add)) add('group_add', '--group-add', str(g));
    if (svc.pull_policy !== undefined) {
      const pp = str(svc.pull_policy);
      const mapped = ({ always: 'always', never: 'never', missing: 'missing', if_not_present: 'missing' } as Record<string, string>)[pp];
      if (mapped) add('pull_policy', '--pull', mapped);
      else unsupported([...base, 'pull_policy'], `service "${s}": pull_policy ${pp}`);
    }
    if (isObj(svc.logging) && svc.logging.driver !== undefined && !['journald'].includes(str(svc.logging.driver))) {
      unsupported([...base, 'logging'], `service "${s}": logging driver ${str(svc.logging.driver)}: a unit's output goes to the journal`);
    }
    // command / entrypoint: a string is split as a shell would; an entrypoint list's first word is the entrypoint.
    const words = (v: unknown, field: string): string[] | undefined => {
      try {
        return Array.isArray(v) ? v.map(str) : v === undefined || v === null ? undefined : splitCommandString(str(v));
      } catch (e) {
        error([...base, field], `service "${s}": ${(e as Error).message}`);
        return undefined;
      }
    };
    const entry = words(svc.entrypoint, 'entrypoint');
    let command = words(svc.command, 'command') ?? [];
    if (entry !== undefined) {
      add('entrypoint', `--entrypoint=${entry[0] ?? ''}`);
      command = [...entry.slice(1), ...command];
    }

    // Each field through the importer alone first, so a bad value is reported at its own place.
    const io = { engine: opts.engine, cwd: opts.dir, env: opts.env as NodeJS.ProcessEnv, shortNameRegistry: opts.shortNameRegistry };
    const good = fields.filter((f) => {
      try {
        importRun([...f.words, image], io);
        return true;
      } catch (e) {
        if (!(e instanceof PodgenError)) throw e;
        const heldBack = /cannot be imported|does not honour/.test(e.message);
        if (heldBack) unsupported(f.path, `service "${s}": ${e.message}`, e.data.hint);
        else error(f.path, `service "${s}": ${e.message}`, e.data.hint);
        return false;
      }
    });
    let imported;
    try {
      imported = importRun([...good.flatMap((f) => f.words), image, ...command], io);
    } catch (e) {
      if (!(e instanceof PodgenError)) throw e;
      error(base, `service "${s}": ${e.message}`, e.data.hint);
      continue;
    }
    const assignments = healthyTargets.has(s) ? [...imported.assignments, { key: 'Notify', value: 'healthy' }] : imported.assignments;
    definitions.push({
      fileName: `${p}-${s}.container`,
      kind: 'container',
      assignments,
      entries: [],
      unit,
      extra: [['Origin', 'compose'], ['Project', p], ['Service', s], ['ComposeFile', src.file]],
      comments: [`Service "${s}" of compose project ${p}, imported by podgen from ${src.file}`, ...imported.notes.filter((n) => !n.startsWith('-d:')).map((n) => `note: ${n}`)],
    });
  }

  definitions.push(...networkDefinitions(ctx, usedNetworks), ...volumeDefinitions(ctx));
  return { project: p, definitions, diagnostics, inactive };
}
