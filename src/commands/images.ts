// podgen images / rmi / image prune / image inspect: the store's contents,
// and removing what nothing uses. A blob or unpacked layer is deleted only
// when no remaining image refers to it (layers are shared between images).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { formatReference, parseReference } from '../image/reference';
import { findImage, ImageStore, type StoredImage } from '../image/store';
import { diffIds, layerDir } from '../image/unpack';
import { forgetPreparedBundles } from '../runtime/kept';
import { containerPaths, overlayMounts, runtimeHolds } from '../runtime/paths';
import { lookup } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { listDir } from '../resolve/readIfExists';

/** Find a stored image by name (short names expand as for pull) or by digest prefix. */

/** Definitions (in the given directories) whose Image= is this image. */
export function definitionsUsing(image: StoredImage, dirs: readonly string[]): string[] {
  const users: string[] = [];
  for (const dir of dirs) {
    for (const n of listDir(dir).filter((x) => x.endsWith('.container'))) {
      const file = path.join(dir, n);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const value = lookup(parseUnitText(text, file, n).unit, 'Container', 'Image');
      const parsed = value ? parseReference(value) : undefined;
      if (parsed?.ok && formatReference(parsed.ref) === image.name) users.push(file);
    }
  }
  return users;
}

export interface RemoveResult {
  readonly removed: StoredImage;
  readonly blobsDeleted: number;
  readonly layersDeleted: number;
}

/** Running containers (mounted root file systems) over any of this image's unpacked layers. */
export function containersUsing(store: ImageStore, image: StoredImage): string[] {
  let layers: Set<string>;
  try {
    layers = new Set(diffIds(store.readBlob(image.configDigest)).map((id) => layerDir(store.root, id)));
  } catch {
    return [];
  }
  // A container's root is <store>/containers/NAME/rootfs. A stopped container's root may be
  // mounted too, ready for its next start: that one does not count (garbage collection unmounts it).
  const user = process.getuid?.() !== 0;
  return overlayMounts()
    .filter((m) => m.lowerDirs.some((d) => layers.has(d)))
    .map((m) => path.basename(path.dirname(m.mountPoint)))
    .filter((name) => runtimeHolds(containerPaths(name, user)))
    .map((name) => `container ${name}`);
}

export async function removeImage(store: ImageStore, wanted: string, force: boolean, definitionDirs: readonly string[]): Promise<RemoveResult> {
  const image = findImage(store, wanted);
  const definitions = definitionsUsing(image, definitionDirs);
  const containers = containersUsing(store, image);
  if (definitions.length + containers.length > 0 && !force) {
    const remedy = [definitions.length ? 'remove or change those definitions' : '', containers.length ? 'stop those containers' : ''].filter(Boolean).join(' and ');
    throw new PodgenError(`${image.name} is used by ${[...definitions, ...containers].join(', ')}`, { kind: 'usage', hint: `${remedy} first, or use --force` });
  }
  await store.removeImage(image.name);
  const gc = await collectGarbage(store);
  return { removed: image, ...gc };
}

/** Delete blobs and unpacked layers that no image (and no pull in progress) refers to. */
export async function collectGarbage(store: ImageStore): Promise<{ blobsDeleted: number; layersDeleted: number }> {
  // Layers may go: no prepared container may take the restart path that reuses them.
  await forgetPreparedBundles(process.getuid?.() !== 0);
  return store.withLock(() => sweep(store));
}

function sweep(store: ImageStore): { blobsDeleted: number; layersDeleted: number } {
  const images = store.images();
  const reserved = store.reservedDigests();
  const keepBlobs = new Set([...images.flatMap((i) => [i.manifestDigest, i.configDigest, ...i.layers]), ...reserved].map((d) => d.slice(7)));
  const keepLayers = new Set<string>();
  const configs = [...images.map((i) => i.configDigest), ...[...reserved].filter((d) => store.hasBlob(d))];
  for (const c of configs) {
    try {
      for (const id of diffIds(store.readBlob(c))) keepLayers.add(path.basename(layerDir(store.root, id)));
    } catch {
      // not a config (a reserved layer or manifest), or unreadable: keeps nothing extra alive
    }
  }
  let blobsDeleted = 0;
  for (const name of listDir(store.blobDir)) {
    if (name.startsWith('.') || keepBlobs.has(name)) continue;
    fs.rmSync(path.join(store.blobDir, name), { force: true });
    blobsDeleted++;
  }
  const layersRoot = path.join(store.root, 'layers');
  // Layers under a running container's root stay, whatever the index says (rmi --force of its image).
  for (const m of overlayMounts()) for (const d of m.lowerDirs) if (path.dirname(d) === layersRoot) keepLayers.add(path.basename(d));
  let layersDeleted = 0;
  for (const name of listDir(layersRoot)) {
    if (name.startsWith('.') || keepLayers.has(name)) continue;
    fs.rmSync(path.join(layersRoot, name), { recursive: true, force: true });
    layersDeleted++;
  }
  return { blobsDeleted, layersDeleted };
}

/** Everything known about an image: the store record, its config and its unpacked layers. */
export function inspectImage(store: ImageStore, wanted: string): Record<string, unknown> {
  const image = findImage(store, wanted);
  const configBytes = store.readBlob(image.configDigest);
  const config: unknown = JSON.parse(configBytes.toString('utf8'));
  const layers = diffIds(configBytes).map((id) => {
    const dir = layerDir(store.root, id);
    return { diffId: id, unpacked: fs.existsSync(dir) ? dir : null };
  });
  return { ...image, config, layers };
}
