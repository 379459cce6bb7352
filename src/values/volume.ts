// Volumes as docker run -v and Quadlet's Volume= write them: SOURCE:TARGET[:OPTIONS]
// (a host path: bind; a name: named volume), or TARGET alone (anonymous). Pure.

import { bad, ok, type Parsed } from './parsed';

export type VolumeSpec =
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly options: readonly string[] }
  | { readonly kind: 'named'; readonly name: string; readonly target: string; readonly options: readonly string[] }
  | { readonly kind: 'anonymous'; readonly target: string };

/** Options podman knows (Quadlet passes them on); which of them a runtime honours is its own business. */
export const VOLUME_OPTIONS = [
  'ro', 'rw', 'z', 'Z', 'U', 'O', 'copy', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable',
  'runbindable', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'bind', 'rbind', 'noatime', 'relatime', 'strictatime',
  'nodiratime', 'idmap',
] as const;

export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseVolume(value: string): Parsed<VolumeSpec> {
  const parts = value.split(':');
  if (parts.length > 3) return bad(`"${value}" is not [SOURCE:]DESTINATION[:OPTIONS]`);
  if (parts.length === 1) {
    return value.startsWith('/') ? ok({ kind: 'anonymous', target: value }) : bad(`destination "${value}" is not an absolute path inside the container`);
  }
  const [source, target, opts] = parts as [string, string, string | undefined];
  if (source === '') return bad(`"${value}" has an empty source`);
  if (!target.startsWith('/')) return bad(`destination "${target}" in "${value}" is not an absolute path inside the container`);
  const options = opts === undefined ? [] : opts.split(',').filter(Boolean);
  for (const o of options) {
    if (!(VOLUME_OPTIONS as readonly string[]).includes(o.replace(/^idmap.*$/, 'idmap'))) {
      return bad(`unknown volume option "${o}" in "${value}" (known: ro, rw, z, Z, U, O, nocopy, shared, slave, private, ...)`);
    }
  }
  if (source.startsWith('/') || source.startsWith('.')) return ok({ kind: 'bind', source, target, options });
  if (!VOLUME_NAME.test(source)) return bad(`source "${source}" in "${value}" is neither an absolute path nor a volume name`);
  return ok({ kind: 'named', name: source, target, options });
}
