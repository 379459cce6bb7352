// `podgen volume create|ls|inspect|rm|prune|unmount`: named volumes in
// podgen's store. rm and prune never remove a volume a container uses;
// prune also spares volumes an installed unit names (they are that unit's
// data, even while it is stopped).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { GENERATED_MARK } from '../resolve/unitName';
import { createVolume, listVolumes, removeVolume, unmountVolume, type VolumeMeta, volumeData, volumeUsers } from '../runtime/volumeStore';

export interface VolumeRow {
  readonly name: string;
  readonly mountpoint: string;
  readonly settings: VolumeMeta | undefined;
  readonly containers: readonly string[];
}

export function volumeRows(storeRoot: string): VolumeRow[] {
  return listVolumes(storeRoot).map((v) => ({ name: v.name, mountpoint: volumeData(storeRoot, v.name), settings: v.meta, containers: volumeUsers(storeRoot, v.name) }));
}

export function inspectVolume(storeRoot: string, name: string): VolumeRow {
  const row = volumeRows(storeRoot).find((r) => r.name === name);
  if (!row) throw new PodgenError(`no volume named ${name}`, { kind: 'not-found', hint: 'podgen volume ls lists them' });
  return row;
}

export async function createVolumeCommand(storeRoot: string, meta: VolumeMeta): Promise<boolean> {
  if (process.getuid?.() !== 0 && meta.device !== undefined) throw new PodgenError('a device volume needs root to mount', { kind: 'auth' });
  return createVolume(storeRoot, meta);
}

export { removeVolume, unmountVolume };

/** Volumes an installed podgen unit names: -v NAME:..., --mount source=NAME, or its own volume create. */
function namedByUnits(unitDir: string, name: string): boolean {
  const word = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:[ ]${word}:|source=${word}[, ]|volume create ${word}(?: |$))`, 'm');
  return listDir(unitDir).some((f) => {
    if (!f.endsWith('.service')) return false;
    const text = readIfExists(path.join(unitDir, f));
    return text !== undefined && text.startsWith(GENERATED_MARK) && pattern.test(text);
  });
}

/** Remove volumes no container uses and no installed unit names; returns their names. */
export async function pruneVolumes(storeRoot: string, unitDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const v of listVolumes(storeRoot)) {
    if (volumeUsers(storeRoot, v.name).length > 0 || namedByUnits(unitDir, v.name)) continue;
    await removeVolume(storeRoot, v.name);
    removed.push(v.name);
  }
  return removed;
}

export function volumeExists(storeRoot: string, name: string): boolean {
  return fs.existsSync(volumeData(storeRoot, name));
}
