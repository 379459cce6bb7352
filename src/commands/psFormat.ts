// ps's --filter and --format, as docker and podman spell them. --format takes
// "json", or a Go-template-like line: {{.Field}} and {{json .Field}} (or
// {{json .}}), with "table " in front for a header and aligned columns, and
// \t / \n written as two characters meaning tab and newline, as docker reads
// them. The template is run by handlebars (the one templating library podgen
// uses); Go's template language beyond fields is not offered. Pure (handlebars
// is loaded on first use).

import { alignColumns } from '../output/columns';
import { PodgenError } from '../errors';
import type { PsRow } from './ps';

export const FILTER_KEYS = ['name', 'status', 'label', 'origin', 'id', 'unit'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export interface PsFilter {
  readonly key: FilterKey;
  readonly value: string;
}

export function parseFilters(specs: readonly string[]): PsFilter[] {
  return specs.map((s) => {
    const eq = s.indexOf('=');
    const key = s.slice(0, eq);
    if (eq <= 0 || !(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new PodgenError(`--filter ${s}: expected KEY=VALUE with KEY one of ${FILTER_KEYS.join(', ')}`, { kind: 'usage', hint: 'e.g. --filter status=exited --filter label=app=web --filter name=web' });
    }
    const value = s.slice(eq + 1);
    if (key === 'status' && !['created', 'running', 'restarting', 'exited'].includes(value)) {
      throw new PodgenError(`--filter status=${value}: podgen's containers are created, running, restarting or exited`, { kind: 'usage' });
    }
    return { key: key as FilterKey, value };
  });
}

function matches(r: PsRow, f: PsFilter): boolean {
  switch (f.key) {
    case 'name':
      return r.name.includes(f.value);
    case 'status':
      return r.state.Status === f.value;
    case 'label': {
      const eq = f.value.indexOf('=');
      return eq === -1 ? f.value in r.labels : r.labels[f.value.slice(0, eq)] === f.value.slice(eq + 1);
    }
    case 'origin':
      return r.origin === f.value;
    case 'id':
      return r.id?.startsWith(f.value) === true;
    case 'unit':
      return r.unit === f.value || r.unit === `${f.value}.service`;
    default: {
      const never: never = f.key;
      return never;
    }
  }
}

/** docker's rule: filters of one key are alternatives, different keys must all hold. */
export function matchesFilters(r: PsRow, filters: readonly PsFilter[]): boolean {
  const byKey = new Map<FilterKey, PsFilter[]>();
  for (const f of filters) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f]);
  return [...byKey.values()].every((fs) => fs.some((f) => matches(r, f)));
}

/** The fields a --format template can name (docker's and podman's names, and podgen's own). */
export function templateFields(r: PsRow): Record<string, unknown> {
  const ports = r.ports.join(', ');
  return {
    Names: r.name,
    ID: r.id?.slice(0, 12) ?? '',
    Image: r.image,
    Command: r.command ?? '',
    CreatedAt: r.created,
    Status: r.status,
    State: r.state.Status,
    Ports: ports,
    Labels: Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(','),
    Pod: r.pod ?? '',
    Unit: r.unit,
    Origin: r.origin,
    Policy: r.restartPolicy,
    Restarts: r.restartCount,
    Pid: r.state.Running ? r.mainPid : 0,
    ExitCode: r.state.ExitCode,
  };
}

const FIELD_NAMES = Object.keys(templateFields({ name: '', unit: '', origin: 'run', id: undefined, created: '', active: '', sub: '', status: '', uptimeSeconds: undefined, mainPid: 0, restartCount: 0, restarts: 0, lastExit: 0, image: '', restartPolicy: '', ports: [], labels: {}, pod: undefined, definition: undefined, command: undefined, state: { Status: 'created', Running: false, Restarting: false, ExitCode: 0, StartedAt: '', FinishedAt: '', RestartCount: 0 } }));

/** Go template -> handlebars: {{.X}} -> {{X}}, {{json .X}} -> {{json X}}, {{json .}} -> {{json this}}. */
function toHandlebars(template: string): string {
  return template.replace(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (whole, inner: string) => {
    const m = /^(json\s+)?\.([A-Za-z]*)$/.exec(inner);
    if (!m) throw new PodgenError(`--format: ${whole} is not a field; podgen takes {{.Field}} and {{json .Field}}`, { kind: 'usage', hint: `fields: ${FIELD_NAMES.join(', ')}` });
    const field = m[2] as string;
    if (field !== '' && !FIELD_NAMES.includes(field)) throw new PodgenError(`--format: no field .${field}`, { kind: 'usage', hint: `fields: ${FIELD_NAMES.join(', ')}` });
    if (m[1]) return `{{json ${field === '' ? 'this' : field}}}`;
    if (field === '') throw new PodgenError('--format: {{.}} needs json: {{json .}}', { kind: 'usage' });
    return `{{${field}}}`;
  });
}

/** Rows through a --format template. */
export async function formatRows(rows: readonly PsRow[], format: string): Promise<string> {
  const isTable = /^table\s/.test(format);
  const body = (isTable ? format.replace(/^table\s+/, '') : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  // Loaded only here: ps without --format (what scripts poll) does not pay for it.
  const hb = (await import('handlebars')).default.create();
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v));
  const render = hb.compile(toHandlebars(body), { noEscape: true, strict: true });
  const lines = rows.map((r) => render(templateFields(r)));
  if (!isTable) return lines.map((l) => `${l}\n`).join('');
  const header = body.replace(/\{\{-?\s*(?:json\s+)?\.([A-Za-z]*)\s*-?\}\}/g, (_, f: string) => (f === '' ? 'JSON' : f.toUpperCase()));
  return alignColumns([header, ...lines].map((l) => l.split('\t')));
}
