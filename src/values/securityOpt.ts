// docker run --security-opt values, and the definition keys that become them
// (SeccompProfile=, Mask=, Unmask=, NoNewPrivileges=). One parser for
// generate (which renders the flags) and prepare (which applies them). Pure.

import { bad, ok, type Parsed } from './parsed';

/** Which seccomp filter a container runs under. */
export type SeccompChoice =
  | { readonly kind: 'default' }
  | { readonly kind: 'unconfined' }
  | { readonly kind: 'file'; readonly path: string };

export type SecurityOpt =
  | { readonly kind: 'no-new-privileges'; readonly value: boolean }
  | { readonly kind: 'seccomp'; readonly profile: SeccompChoice }
  | { readonly kind: 'mask'; readonly paths: readonly string[] }
  | { readonly kind: 'unmask'; readonly paths: readonly string[] | 'ALL' };

/** SeccompProfile= or seccomp=...: "unconfined", or the absolute path of a profile in Docker's JSON format. */
export function parseSeccompProfile(value: string): Parsed<SeccompChoice> {
  const v = value.trim();
  if (v === 'unconfined') return ok({ kind: 'unconfined' });
  if (v.startsWith('/') && !v.includes('\0')) return ok({ kind: 'file', path: v });
  return bad(`"${value}" is not a seccomp profile; write unconfined, or the absolute path of a JSON profile (Docker's format)`);
}

/** Mask=/Unmask= or mask=/unmask=...: absolute paths separated by ":" (Unmask also takes ALL). */
export function parsePathList(value: string, allowAll: boolean): Parsed<readonly string[] | 'ALL'> {
  const v = value.trim();
  if (allowAll && v === 'ALL') return ok('ALL');
  const paths = v.split(':');
  const wrong = paths.find((p) => !p.startsWith('/'));
  if (wrong !== undefined) {
    return bad(`"${wrong}" in "${value}" is not an absolute path; write paths like /proc/kcore:/sys/firmware${allowAll ? ', or ALL' : ''}`);
  }
  return ok(paths);
}

function booleanWord(v: string): boolean | undefined {
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

/** One --security-opt value: NAME=VALUE or NAME:VALUE (Docker's older spelling). */
export function parseSecurityOpt(value: string): Parsed<SecurityOpt> {
  if (value === 'no-new-privileges') return ok({ kind: 'no-new-privileges', value: true });
  const m = /^([a-z-]+)[=:](.*)$/s.exec(value);
  const name = m?.[1];
  const rest = m?.[2] ?? '';
  switch (name) {
    case 'no-new-privileges': {
      const b = booleanWord(rest);
      return b === undefined ? bad(`--security-opt ${value}: no-new-privileges takes true or false`) : ok({ kind: 'no-new-privileges', value: b });
    }
    case 'seccomp': {
      const p = parseSeccompProfile(rest);
      return p.ok ? ok({ kind: 'seccomp', profile: p.value }) : p;
    }
    case 'mask': {
      const p = parsePathList(rest, false);
      return p.ok ? ok({ kind: 'mask', paths: p.value === 'ALL' ? [] : p.value }) : p;
    }
    case 'unmask': {
      const p = parsePathList(rest, true);
      return p.ok ? ok({ kind: 'unmask', paths: p.value }) : p;
    }
    default:
      return bad(
        `--security-opt ${value} is not supported by podgen's runtime: it takes seccomp=unconfined|PATH, mask=PATHS, unmask=PATHS|ALL and no-new-privileges; SELinux and AppArmor options need --engine podman`,
      );
  }
}
