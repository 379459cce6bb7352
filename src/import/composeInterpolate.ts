// Variable interpolation in compose files, as the Compose Specification
// ("Interpolation") defines it: $VAR and ${VAR}, ${VAR:-default} (unset or
// empty), ${VAR-default} (unset), ${VAR:?error} / ${VAR?error} (required),
// ${VAR:+replacement} / ${VAR+replacement}, defaults that interpolate in turn,
// and $$ for a literal $. Pure. (The .env file is read by dotenv.)

export type Interpolated = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The end of a ${...} expression starting at `open` (the index of "{"), nested braces counted. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

export function interpolate(s: string, env: Readonly<Record<string, string | undefined>>): Interpolated {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '{') {
      const end = closing(s, i + 1);
      if (end === -1) return { ok: false, message: `"${s}" has a \${ without its closing }` };
      const body = s.slice(i + 2, end);
      const name = NAME.exec(body)?.[0];
      if (!name) return { ok: false, message: `"\${${body}}" does not start with a variable name` };
      const op = /^(:?[-?+])?/.exec(body.slice(name.length))?.[0] ?? '';
      const rest = body.slice(name.length + op.length);
      if (op === '' && rest !== '') return { ok: false, message: `"\${${body}}": after the name comes }, :-, -, :?, ?, :+ or +` };
      const v = env[name];
      const set = v !== undefined;
      const nonEmpty = set && v !== '';
      const present = op.startsWith(':') ? nonEmpty : set;
      let piece: string;
      switch (op.replace(':', '')) {
        case '': piece = v ?? ''; break;
        case '-': {
          if (present) piece = v as string;
          else {
            const d = interpolate(rest, env);
            if (!d.ok) return d;
            piece = d.value;
          }
          break;
        }
        case '?':
          if (!present) return { ok: false, message: `${name} is required${rest ? `: ${rest}` : ''} (\${${body}})` };
          piece = v as string;
          break;
        case '+': {
          if (!present) piece = '';
          else {
            const r = interpolate(rest, env);
            if (!r.ok) return r;
            piece = r.value;
          }
          break;
        }
        default:
          return { ok: false, message: `"\${${body}}" is not an interpolation Compose knows` };
      }
      out += piece;
      i = end;
      continue;
    }
    const name = NAME.exec(s.slice(i + 1))?.[0];
    if (name) {
      out += env[name] ?? '';
      i += name.length;
      continue;
    }
    out += '$';
  }
  return { ok: true, value: out };
}
