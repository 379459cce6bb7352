// Mount= values: podman's --mount syntax, a CSV list of key[=value] with one
// type=. Quadlet rewrites the source of bind/volume/image mounts, so the value
// is parsed into tokens and re-serialised with type= first.

export interface ParsedMount {
  readonly type: string;
  /** Tokens other than type=..., in their original order. */
  readonly tokens: readonly string[];
}

export type MountParse = { readonly ok: true; readonly mount: ParsedMount } | { readonly ok: false; readonly message: string };

/** RFC 4180-style split, as Go's encoding/csv reads one record. */
export function splitCsv(value: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i <= value.length) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) return undefined; // unterminated quote
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += value[i];
        i++;
      }
      if (i < value.length && value[i] !== ',') return undefined;
    } else {
      const comma = value.indexOf(',', i);
      const end = comma === -1 ? value.length : comma;
      field = value.slice(i, end);
      i = end;
    }
    out.push(field);
    i++; // skip comma (or step past the end)
  }
  return out;
}

export function joinCsv(fields: readonly string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) || f.startsWith(' ') ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

export const SOURCE_RESOLVED_TYPES = ['volume', 'bind', 'glob', 'image', 'artifact'];

export function parseMount(value: string): MountParse {
  const fields = splitCsv(value);
  if (!fields) return { ok: false, message: `invalid quadlet mount format "${value}": unbalanced quotes` };
  let type: string | undefined;
  const tokens: string[] = [];
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq !== -1 && f.slice(0, eq) === 'type') {
      if (type !== undefined) return { ok: false, message: `invalid quadlet mount format "${value}": type= given twice` };
      type = f.slice(eq + 1);
    } else {
      tokens.push(f);
    }
  }
  if (type === undefined || type === '') {
    return {
      ok: false,
      message: `invalid quadlet mount format "${value}": it needs type=bind|volume|tmpfs|image|devpts|... (use Volume= for src:dst[:opts])`,
    };
  }
  if (SOURCE_RESOLVED_TYPES.includes(type)) {
    const source = tokens.find((t) => /^(source|src)(=|$)/.test(t));
    // A volume mount without a source is an anonymous volume.
    if (source === undefined && type !== 'volume') return { ok: false, message: `source parameter is required for mount type ${type}` };
    if (source === undefined) return { ok: true, mount: { type, tokens } };
    if (!source.includes('=') || source.endsWith('=')) return { ok: false, message: 'source parameter does not include a value' };
  }
  return { ok: true, mount: { type, tokens } };
}
