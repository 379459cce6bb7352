// podgen's named volumes: <store>/volumes/NAME/_data, with NAME/volume.json
// for the ones a .volume unit or `podgen volume create` made (device, type
// and mount options, owner, copy-up, labels). They outlive containers and
// `down`; a device volume is mounted on first use (or by its unit) and
// unmounted when its unit stops. A volume in use is never removed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { writeAtomic } from '../files';
import { run } from '../process/run';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { isMounted, preparedContainers } from './paths';

export interface VolumeMeta {
  readonly name: string;
  /** What to mount on _data (a block device, "tmpfs", a directory with Type=bind). */
  readonly device?: string;
  readonly type?: string;
  /** mount -o (Options=, with uid=/gid= for file systems that take them). */
  readonly options?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Fill it from the image on first use when it is empty (Docker's and podman's default). */
  readonly copy: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const usage = (message: string, hint?: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

export function volumeDir(storeRoot: string, name: string): string {
  return path.join(storeRoot, 'volumes', name);
}
export function volumeData(storeRoot: string, name: string): string {
  return path.join(volumeDir(storeRoot, name), '_data');
}

export function loadVolume(storeRoot: string, name: string): VolumeMeta | undefined {
  const text = readIfExists(path.join(volumeDir(storeRoot, name), 'volume.json'));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as VolumeMeta;
  } catch {
    throw new PodgenError(`the settings of volume ${name} are damaged`, { kind: 'unavailable', hint: `podgen volume rm ${name} removes it (and its data)` });
  }
}

/** Every volume: the ones with settings and the ones containers made by naming them. */
export function listVolumes(storeRoot: string): Array<{ readonly name: string; readonly meta: VolumeMeta | undefined }> {
  return listDir(path.join(storeRoot, 'volumes'))
    .filter((n) => fs.existsSync(volumeData(storeRoot, n)))
    .map((name) => ({ name, meta: loadVolume(storeRoot, name) }));
}

/** Create a volume (again with the same settings: nothing changes; its data is never touched). */
export async function createVolume(storeRoot: string, meta: VolumeMeta): Promise<boolean> {
  if (!VALID_NAME.test(meta.name)) throw usage(`"${meta.name}" is not a volume name`, 'letters, digits, "_", "." and "-", starting with a letter or digit');
  if (meta.type !== undefined && meta.device === undefined) throw usage("a volume's Type= needs a Device=", 'add Device= (a block device, tmpfs, or a directory with Type=bind)');
  if (meta.device !== undefined && meta.device.startsWith('/') && !fs.existsSync(meta.device)) {
    throw new PodgenError(`the volume's device ${meta.device} does not exist`, { kind: 'not-found', hint: 'check Device= (lsblk lists block devices)' });
  }
  const existing = loadVolume(storeRoot, meta.name);
  const data = volumeData(storeRoot, meta.name);
  const isNew = !fs.existsSync(data);
  fs.mkdirSync(data, { recursive: true });
  if (!existing || JSON.stringify(existing) !== JSON.stringify(meta)) writeAtomic(path.join(volumeDir(storeRoot, meta.name), 'volume.json'), `${JSON.stringify(meta, null, 2)}\n`);
  if (meta.device !== undefined) await mountVolume(storeRoot, meta);
  // The owner is set on the volume's root (a device's file system root once mounted), as podman --uid/--gid do.
  if (meta.uid !== undefined || meta.gid !== undefined) fs.chownSync(data, meta.uid ?? 0, meta.gid ?? 0);
  return isNew;
}

/** Mount a device volume on its _data (no-op when mounted). */
export async function mountVolume(storeRoot: string, meta: VolumeMeta): Promise<void> {
  const data = volumeData(storeRoot, meta.name);
  if (meta.device === undefined || isMounted(data)) return;
  const type = meta.type ?? (meta.device === 'tmpfs' ? 'tmpfs' : undefined);
  const bind = type === 'bind';
  const opts = [bind ? 'bind' : undefined, meta.options].filter((o): o is string => !!o).join(',');
  const argv = ['mount', ...(type && !bind ? ['-t', type] : []), ...(opts ? ['-o', opts] : []), meta.device, data];
  const r = await run(argv, { allowFailure: true });
  if (r.status !== 0) throw new PodgenError(`cannot mount volume ${meta.name} (${meta.device}): ${r.stderr.trim()}`, { kind: 'unavailable', command: argv, exitStatus: r.status, hint: 'check Device=, Type= and Options=' });
}

/** The containers (prepared or running) that mount a volume. */
export function volumeUsers(storeRoot: string, name: string): string[] {
  const data = volumeData(storeRoot, name);
  const users: string[] = [];
  for (const p of [...preparedContainers(false)]) {
    const config = readIfExists(path.join(p.bundle, 'config.json'));
    if (config && config.includes(JSON.stringify(data))) users.push(p.name);
  }
  return users;
}

export async function unmountVolume(storeRoot: string, name: string): Promise<void> {
  const data = volumeData(storeRoot, name);
  if (!isMounted(data)) return;
  const users = volumeUsers(storeRoot, name);
  if (users.length) throw usage(`volume ${name} is in use by ${users.join(', ')}`, 'stop those containers first');
  const r = await run(['umount', data], { allowFailure: true });
  if (r.status !== 0) throw new PodgenError(`cannot unmount volume ${name}: ${r.stderr.trim()}`, { kind: 'unavailable' });
}

/** Remove a volume and its data (refused while a container uses it). */
export async function removeVolume(storeRoot: string, name: string): Promise<void> {
  if (!fs.existsSync(volumeDir(storeRoot, name))) throw new PodgenError(`no volume named ${name}`, { kind: 'not-found', hint: 'podgen volume ls lists them' });
  const users = volumeUsers(storeRoot, name);
  if (users.length) throw usage(`volume ${name} is in use by ${users.join(', ')}`, 'stop and remove those containers first (podgen down NAME)');
  await unmountVolume(storeRoot, name);
  fs.rmSync(volumeDir(storeRoot, name), { recursive: true, force: true });
}

/** Whether a volume should be filled from the image now: empty, never filled, and copy-up wanted. */
export function wantsSeeding(storeRoot: string, name: string, fresh: boolean): boolean {
  const meta = loadVolume(storeRoot, name);
  if (!meta) return fresh;
  if (!meta.copy || fs.existsSync(path.join(volumeDir(storeRoot, name), 'seeded'))) return false;
  return listDir(volumeData(storeRoot, name)).length === 0;
}

export function markSeeded(storeRoot: string, name: string): void {
  if (loadVolume(storeRoot, name)) fs.writeFileSync(path.join(volumeDir(storeRoot, name), 'seeded'), '');
}
