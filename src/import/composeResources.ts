// The networks and volumes of a compose file: the .network and .volume
// definitions it declares, and a service's volumes: entries as docker run
// words. Pure; composeProject.ts holds the context they report into.

import * as path from 'node:path';
import type { YamlPath } from './composeFile';
import type { ComposeDefinition, ComposeOptions } from './composeProject';

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** What the mapping of one file shares: its options, its top-level networks and volumes, and where problems go. */
export interface ComposeContext {
  readonly file: string;
  readonly opts: ComposeOptions;
  readonly networks: Obj;
  readonly volumes: Obj;
  error(pathTo: YamlPath, message: string, hint?: string): void;
  unsupported(pathTo: YamlPath, message: string, hint?: string): void;
}

/** A list_or_dict field (environment, labels, sysctls, extra_hosts): NAME=VALUE strings, or a mapping (null: no value). */
export function listOrDict(v: unknown, sep = '='): Array<readonly [string, string | undefined]> {
  if (isObj(v)) return Object.entries(v).map(([k, x]) => [k, x === null ? undefined : str(x)] as const);
  return list(v).map((e) => {
    const s = str(e);
    const i = s.indexOf(sep);
    return i === -1 ? ([s, undefined] as const) : ([s.slice(0, i), s.slice(i + 1)] as const);
  });
}

/** A .network definition per network the services use (external ones are used by name). */
export function networkDefinitions(ctx: ComposeContext, used: ReadonlySet<string>): ComposeDefinition[] {
  const { networks, opts, unsupported, file } = ctx;
  const p = opts.project;
  const definitions: ComposeDefinition[] = [];
  for (const n of [...used].sort()) {
    const cfg = networks[n];
    if (isObj(cfg) && cfg.external !== undefined && cfg.external !== false) continue;
    const c = isObj(cfg) ? cfg : {};
    const entries: Array<readonly [string, string]> = [['NetworkName', str(c.name) || `${p}_${n}`]];
    if (c.driver !== undefined && str(c.driver) !== 'bridge') unsupported(['networks', n, 'driver'], `network "${n}": driver ${str(c.driver)}: podgen makes bridge networks`);
    if (c.internal === true) entries.push(['Internal', 'true']);
    if (c.enable_ipv6 === true) entries.push(['IPv6', 'true']);
    const ipam = isObj(c.ipam) ? c.ipam : {};
    for (const conf of list(ipam.config)) {
      if (!isObj(conf)) continue;
      if (conf.subnet !== undefined) entries.push(['Subnet', str(conf.subnet)]);
      if (conf.gateway !== undefined) entries.push(['Gateway', str(conf.gateway)]);
      if (conf.ip_range !== undefined) entries.push(['IPRange', str(conf.ip_range)]);
    }
    for (const [k, v] of listOrDict(c.labels)) entries.push(['Label', v === undefined ? k : `${k}=${v}`]);
    if (c.driver_opts !== undefined) unsupported(['networks', n, 'driver_opts'], `network "${n}": driver_opts are driver-specific`);
    definitions.push({ fileName: `${p}-${n}.network`, kind: 'network', assignments: [], entries, unit: [['Description', `network ${n} (compose project ${p})`]], extra: [['Origin', 'compose'], ['Project', p]], comments: [`Network "${n}" of compose project ${p}, imported by podgen from ${file}`] });
  }
  return definitions;
}

/** A .volume definition per volume the file declares (external ones are used by name). */
export function volumeDefinitions(ctx: ComposeContext): ComposeDefinition[] {
  const { volumes, opts, unsupported, file } = ctx;
  const p = opts.project;
  const definitions: ComposeDefinition[] = [];
  for (const v of Object.keys(volumes).sort()) {
    const cfg = volumes[v];
    if (isObj(cfg) && cfg.external !== undefined && cfg.external !== false) continue;
    const c = isObj(cfg) ? cfg : {};
    const entries: Array<readonly [string, string]> = [['VolumeName', str(c.name) || `${p}_${v}`]];
    if (c.driver !== undefined && str(c.driver) !== 'local') unsupported(['volumes', v, 'driver'], `volume "${v}": driver ${str(c.driver)}: podgen's volumes are local`);
    const o = isObj(c.driver_opts) ? c.driver_opts : {};
    if (o.type !== undefined) entries.push(['Type', str(o.type)]);
    if (o.device !== undefined) entries.push(['Device', str(o.device)]);
    if (o.o !== undefined) entries.push(['Options', str(o.o)]);
    for (const [k, x] of listOrDict(c.labels)) entries.push(['Label', x === undefined ? k : `${k}=${x}`]);
    definitions.push({ fileName: `${p}-${v}.volume`, kind: 'volume', assignments: [], entries, unit: [['Description', `volume ${v} (compose project ${p})`]], extra: [['Origin', 'compose'], ['Project', p]], comments: [`Volume "${v}" of compose project ${p}, imported by podgen from ${file}`] });
  }
  return definitions;
}

/** A volumes: entry as docker run words (-v, --tmpfs), or undefined (reported). */
export function volumeWords(ctx: ComposeContext, v: unknown, vp: YamlPath): string[] | undefined {
  const { volumes, opts, error, unsupported } = ctx;
  const p = opts.project;
  const named = (name: string): string => {
    const cfg = volumes[name];
    const external = isObj(cfg) && cfg.external !== undefined && cfg.external !== false;
    return external ? str((cfg as Obj).name) || name : `${p}-${name}.volume`;
  };
  const source = (src0: string): string | undefined => {
    if (src0.startsWith('/') ) return src0;
    if (src0.startsWith('.') || src0.startsWith('~')) return src0.startsWith('~') ? path.join(str(opts.env.HOME) || '/root', src0.slice(1)) : path.resolve(opts.dir, src0);
    if (!(src0 in volumes)) {
      error(vp, `volume "${src0}" is not declared under the top-level volumes:`, 'declare it, or write a path (./dir or /dir) for a bind mount');
      return undefined;
    }
    return named(src0);
  };
  if (!isObj(v)) {
    const s0 = str(v);
    const parts = s0.split(':');
    if (parts.length === 1) return ['-v', s0];
    const src1 = source(parts[0] as string);
    return src1 === undefined ? undefined : ['-v', [src1, ...parts.slice(1)].join(':')];
  }
  const type = str(v.type);
  const target = str(v.target);
  const opt: string[] = [];
  if (v.read_only === true) opt.push('ro');
  if (type === 'tmpfs') {
    const t = isObj(v.tmpfs) ? v.tmpfs : {};
    const o = [...(t.size !== undefined ? [`size=${str(t.size)}`] : []), ...(t.mode !== undefined ? [`mode=${Number(t.mode).toString(8)}`] : [])];
    return ['--tmpfs', o.length ? `${target}:${o.join(',')}` : target];
  }
  if (type === 'bind' || type === 'volume') {
    if (type === 'bind' && isObj(v.bind) && v.bind.propagation !== undefined) opt.push(str(v.bind.propagation));
    if (type === 'volume' && isObj(v.volume) && v.volume.nocopy === true) opt.push('nocopy');
    if (v.source === undefined) return ['-v', target];
    const src1 = type === 'bind' ? path.resolve(opts.dir, str(v.source)) : source(str(v.source));
    return src1 === undefined ? undefined : ['-v', `${src1}:${target}${opt.length ? `:${opt.join(',')}` : ''}`];
  }
  unsupported(vp, `volume type ${type}: podgen mounts bind, volume and tmpfs`);
  return undefined;
}
