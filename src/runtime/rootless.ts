// Rootless containers: the facts and the pure rules. A rootless container runs
// in a user namespace that maps its root to the user who runs it and its other
// ids to the user's subordinate ranges (/etc/subuid, /etc/subgid), written by
// newuidmap/newgidmap (runc calls them). UserNS=, UIDMap=/GIDMap= and
// SubUIDMap=/SubGIDMap= mean what podman's rootless mode makes them mean: their
// "host" ids are ids of the user's own namespace, 0 being the user and 1... the
// subordinate ids in file order.

import { PodgenError } from '../errors';

/** One line of /etc/subuid or /etc/subgid. */
export interface SubIdRange {
  readonly start: number;
  readonly count: number;
}

/** One OCI id mapping: container ids [containerID, containerID+size) are host ids [hostID, ...). */
export interface IdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** /etc/subuid or /etc/subgid lines for a user (by name or uid), in file order. */
export function subIdRanges(text: string | undefined, name: string, uid: number): SubIdRange[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3 && (f[0] === name || f[0] === String(uid)))
    .map((f) => ({ start: Number(f[1]), count: Number(f[2]) }))
    .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.count) && r.count > 0);
}

/** Overlayfs in a user namespace: Linux 5.11 and newer. */
export function kernelMountsOverlayInUserns(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const major = Number(m[1]);
  return major > 5 || (major === 5 && Number(m[2]) >= 11);
}

/** The environment variable that forces a rootless root file system mode (for old-kernel behaviour on a new kernel, and tests). */
export const ROOTFS_MODE_ENV = 'PODGEN_ROOTLESS_ROOTFS';

/**
 * How a rootless container gets its root file system: an overlay the runtime mounts inside the
 * container's user namespace (5.11+), or else a copy of the layers made for each start (no
 * mount at all: slower to start and it costs the image's size per container, but it works on
 * every kernel). `reason` is what `podgen info` shows.
 */
export type RootfsMode = { readonly mode: 'overlay' | 'copy'; readonly reason: string };

export function rootlessRootfsMode(release: string, forced: string | undefined): RootfsMode {
  if (forced === 'copy' || forced === 'overlay') return { mode: forced, reason: `${ROOTFS_MODE_ENV}=${forced}` };
  if (forced !== undefined && forced !== '') {
    throw new PodgenError(`${ROOTFS_MODE_ENV}=${forced} is not a root file system mode`, { kind: 'usage', hint: `use ${ROOTFS_MODE_ENV}=overlay or =copy, or unset it (podgen then picks by kernel)` });
  }
  return kernelMountsOverlayInUserns(release)
    ? { mode: 'overlay', reason: `Linux ${release} mounts overlayfs in a user namespace (5.11+)` }
    : { mode: 'copy', reason: `Linux ${release} cannot mount overlayfs in a user namespace (5.11+ can)` };
}

/** The parts of `r` that none of `taken` covers (the kernel refuses a map whose host ids overlap). */
function uncovered(r: SubIdRange, taken: readonly SubIdRange[]): SubIdRange[] {
  let parts: SubIdRange[] = [r];
  for (const t of taken) {
    parts = parts.flatMap((p) => {
      const end = p.start + p.count;
      const tEnd = t.start + t.count;
      if (tEnd <= p.start || t.start >= end) return [p];
      return [
        ...(t.start > p.start ? [{ start: p.start, count: t.start - p.start }] : []),
        ...(tEnd < end ? [{ start: tEnd, count: end - tEnd }] : []),
      ];
    });
  }
  return parts;
}

/**
 * The user's own namespace, as podman's rootless mode has it: 0 is the user, then each subordinate
 * range in file order. Ids a range shares with an earlier one (or the user's own id) are mapped once.
 */
export function userNamespace(id: number, ranges: readonly SubIdRange[]): IdMapping[] {
  const out: IdMapping[] = [{ containerID: 0, hostID: id, size: 1 }];
  const taken: SubIdRange[] = [{ start: id, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    for (const part of uncovered(r, taken)) {
      out.push({ containerID: next, hostID: part.start, size: part.count });
      taken.push(part);
      next += part.count;
    }
  }
  return out;
}

/** How many ids a mapping list covers on its container side. */
export function mappedSize(maps: readonly IdMapping[]): number {
  return maps.reduce((n, m) => Math.max(n, m.containerID + m.size), 0);
}

/**
 * Compose: the container's mapping onto the user's namespace (`inner`: container id -> an id of
 * the user's namespace), then that namespace onto the host (`outer`). Ranges are split where the
 * outer ones end; an id the user's namespace lacks is an error naming it.
 */
export function composeMappings(inner: readonly IdMapping[], outer: readonly IdMapping[], what: string): IdMapping[] {
  const out: IdMapping[] = [];
  for (const m of inner) {
    let done = 0;
    while (done < m.size) {
      const id = m.hostID + done;
      const o = outer.find((x) => id >= x.containerID && id < x.containerID + x.size);
      if (!o) {
        throw new PodgenError(`${what}: id ${id} of your user namespace is not mapped (it has ${mappedSize(outer)} ids: 0 is you, 1-${mappedSize(outer) - 1} your subordinate ids)`, {
          kind: 'usage',
          hint: 'map only ids below that, or ask root for a larger range in /etc/subuid and /etc/subgid (usermod --add-subuids/--add-subgids)',
        });
      }
      const n = Math.min(m.size - done, o.containerID + o.size - id);
      out.push({ containerID: m.containerID + done, hostID: o.hostID + (id - o.containerID), size: n });
      done += n;
    }
  }
  return out;
}

/** A UIDMap=/GIDMap= value (podman's --uidmap): container:host:size, host ids being ids of the user's namespace. */
export function parseIdMap(value: string): IdMapping {
  const m = /^(\d+):(\d+):(\d+)$/.exec(value.trim());
  if (!m || Number(m[3]) === 0) throw new PodgenError(`"${value}" is not an id mapping`, { kind: 'usage', hint: 'write CONTAINER:HOST:SIZE, e.g. 0:1:65536 (host ids count in your user namespace: 0 is you)' });
  return { containerID: Number(m[1]), hostID: Number(m[2]), size: Number(m[3]) };
}

/** --userns values the rootless podgen engine honours. */
export type UserNsMode =
  | { readonly kind: 'default' }
  | { readonly kind: 'keep-id'; readonly uid?: number; readonly gid?: number }
  | { readonly kind: 'nomap' };

export function parseUserNs(value: string | undefined): UserNsMode {
  if (value === undefined || value === '' || value === 'host') return { kind: 'default' };
  if (value === 'nomap') return { kind: 'nomap' };
  const keep = /^keep-id(?::(.*))?$/.exec(value);
  if (keep) {
    let uid: number | undefined;
    let gid: number | undefined;
    for (const opt of (keep[1] ?? '').split(',').filter(Boolean)) {
      const kv = /^(uid|gid)=(\d+)$/.exec(opt);
      if (!kv) throw new PodgenError(`UserNS=${value}: unknown keep-id option "${opt}"`, { kind: 'usage', hint: 'keep-id takes uid=N and gid=N' });
      if (kv[1] === 'uid') uid = Number(kv[2]);
      else gid = Number(kv[2]);
    }
    return { kind: 'keep-id', ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
  }
  throw new PodgenError(`UserNS=${value} is not supported by the podgen engine`, {
    kind: 'usage',
    hint: 'rootless containers take UserNS=host (the default), keep-id[:uid=N,gid=N] or nomap, or UIDMap=/GIDMap=; use --engine podman for auto and ns:PATH',
  });
}

export interface UserNsRequest {
  readonly mode: UserNsMode;
  readonly uidMap: readonly IdMapping[];
  readonly gidMap: readonly IdMapping[];
  /** The user's id and primary group outside. */
  readonly uid: number;
  readonly gid: number;
  /** The subordinate ranges to map (the user's own, or SubUIDMap='s). */
  readonly subuid: readonly SubIdRange[];
  readonly subgid: readonly SubIdRange[];
}

export interface UserNsPlan {
  readonly uidMappings: IdMapping[];
  readonly gidMappings: IdMapping[];
  /** keep-id: the container runs as you unless User= says otherwise. */
  readonly defaultUser?: { readonly uid: number; readonly gid: number };
}

/** keep-id for one kind of id: your id inside is `keepAs`, 0..keepAs-1 and what follows are subordinate ids. */
function keepId(keepAs: number, total: number): IdMapping[] {
  const out: IdMapping[] = [];
  if (keepAs > 0) out.push({ containerID: 0, hostID: 1, size: Math.min(keepAs, total - 1) });
  out.push({ containerID: keepAs, hostID: 0, size: 1 });
  const rest = total - 1 - Math.min(keepAs, total - 1);
  if (rest > 0) out.push({ containerID: keepAs + 1, hostID: 1 + keepAs, size: rest });
  return out.filter((m) => m.size > 0);
}

/**
 * The container's uid/gid mappings onto the host. Pure; errors name the key and the fix. An
 * explicit UIDMap=/GIDMap= wins (the run-flag parser has refused one beside a UserNS= mode).
 */
export function planUserNamespace(req: UserNsRequest): UserNsPlan {
  const uns = userNamespace(req.uid, req.subuid);
  const gns = userNamespace(req.gid, req.subgid);
  const inner = (explicit: readonly IdMapping[], own: readonly IdMapping[], keepAs: number): IdMapping[] => {
    if (explicit.length > 0) return [...explicit];
    const total = mappedSize(own);
    switch (req.mode.kind) {
      case 'default':
        return [{ containerID: 0, hostID: 0, size: total }];
      case 'nomap':
        if (total < 2) return [];
        return [{ containerID: 0, hostID: 1, size: total - 1 }];
      case 'keep-id':
        return keepId(keepAs, total);
    }
  };
  const keepUid = req.mode.kind === 'keep-id' ? (req.mode.uid ?? req.uid) : 0;
  const keepGid = req.mode.kind === 'keep-id' ? (req.mode.gid ?? req.gid) : 0;
  const uidMappings = composeMappings(inner(req.uidMap, uns, keepUid), uns, 'UIDMap');
  const gidMappings = composeMappings(inner(req.gidMap, gns, keepGid), gns, 'GIDMap');
  if (uidMappings.length === 0 || gidMappings.length === 0) {
    throw new PodgenError('UserNS=nomap needs subordinate ids, and you have none', { kind: 'usage', hint: 'ask root for ranges in /etc/subuid and /etc/subgid (usermod --add-subuids 100000-165535 USER)' });
  }
  return { uidMappings, gidMappings, ...(req.mode.kind === 'keep-id' ? { defaultUser: { uid: keepUid, gid: keepGid } } : {}) };
}

/** What a rootless container cannot have, said the same by generate and by prepare. */
export const ROOTLESS_REFUSALS = {
  /** Containers on named networks share the user's network user namespace (rootlessNetwork.ts): its mapping is fixed. */
  userNsOnNamedNetwork: (network: string) => ({
    message: `Network=${network} with UserNS=, UIDMap=, GIDMap=, SubUIDMap= or SubGIDMap=: rootless containers on named networks share one user namespace, mapped the default way`,
    hint: 'leave the user namespace options out, or the named network (the default pasta network takes them)',
  }),
  pod: (pod: string) => ({ message: `Pod=${pod}: podgen's pods are root's network namespaces`, hint: 'install the pod and its containers as root, or use --engine podman' }),
} as const;

/** The lowest host port an unprivileged user may bind (net.ipv4.ip_unprivileged_port_start; 1024 when unreadable). */
export function unprivilegedPortStart(sysctlText: string | undefined): number {
  const n = Number((sysctlText ?? '').trim());
  return Number.isInteger(n) && sysctlText !== undefined && sysctlText.trim() !== '' ? n : 1024;
}
