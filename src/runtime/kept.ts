// What a stopped host/none-network container keeps for its next start without
// Node (podgenEngine.ts): its bundle, a ready marker, and a fresh writable
// layer already mounted over the image's layers. These undo that, for pulls
// and removals of layers (the marker goes) and for removed units (all of it).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { unmountRootfs } from '../image/unpack';
import { listDir } from '../resolve/readIfExists';
import { type ContainerPaths, containerPaths, isMounted, preparedContainers, runtimeHolds } from './paths';
import { READY_MARKER_PREFIX } from './takeOver';

/**
 * No Node-free start for this container: its next stop's cleanup removes its bundle and root
 * instead of re-arming them. Returns the markers' names (cleanup puts them back once re-armed).
 */
export function dropReadyMarkers(p: ContainerPaths): string[] {
  const markers = listDir(p.bundle).filter((f) => f.startsWith(READY_MARKER_PREFIX));
  for (const m of markers) fs.rmSync(path.join(p.bundle, m), { force: true });
  return markers;
}

/** Drop the ready markers, and unmount the ready root of a container that is not running. */
async function disarm(p: ContainerPaths): Promise<boolean> {
  dropReadyMarkers(p);
  // A running container's root is its own; cleanup deals with it when it stops.
  if (runtimeHolds(p)) return false;
  if (isMounted(p.rootfs)) await unmountRootfs(p.containerDir);
  if (isMounted(p.rootfs)) return false;
  fs.rmSync(p.containerDir, { recursive: true, force: true });
  return true;
}

/**
 * Make every prepared container take the full prepare on its next start: after a pull (a tag
 * may now mean other layers) or before layers are removed (no ready root may hold them).
 */
export async function forgetPreparedBundles(user: boolean, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const p of preparedContainers(user, env)) await disarm(p);
}

/** Remove what a stopped container of a removed unit kept for fast restarts. */
export async function removeKeptBundle(name: string, user: boolean, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const p = containerPaths(name, user, env);
  if (await disarm(p)) fs.rmSync(p.bundle, { recursive: true, force: true });
}
