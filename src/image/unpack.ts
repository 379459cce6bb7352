// Layers -> directories, once each, for overlayfs (I/O edge, root).
//
// Each layer is decompressed in Node (gzip) or by zstd(1), hashed (its
// diff_id must match the image config), checked header by header by
// TarScanner before GNU tar sees the bytes, and extracted by GNU tar with
// ownership, modes, xattrs, hard links and device nodes. OCI whiteouts are
// then turned into overlayfs ones (a 0:0 character device; the
// trusted.overlay.opaque xattr for ".wh..wh..opq"). Extraction happens in a
// temporary directory renamed into place, so layers are never half there.
// A container's root file system is then an overlay mount: the layers as
// lowerdirs, an upper and work dir of its own: nothing is copied.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PodgenError } from '../errors';
import { processGone } from '../process/gone';
import { pipe, run } from '../process/run';
import type { Compression } from './manifest';
import { LayerRefused, TarScanner } from './tarScan';

export interface LayerToUnpack {
  readonly blobPath: string;
  readonly digest: string;
  readonly compression: Compression;
  /** sha256 of the uncompressed tar, from the image config. */
  readonly diffId: string;
}

export function layerDir(storeRoot: string, diffId: string): string {
  return path.join(storeRoot, 'layers', diffId.replace(/^sha256:/, ''));
}

/** The diff_ids listed in an image config. */
export function diffIds(config: Buffer): string[] {
  let json: unknown;
  try {
    json = JSON.parse(config.toString('utf8'));
  } catch {
    throw new PodgenError('the image config is not JSON', { kind: 'integrity' });
  }
  const rootfs = json && typeof json === 'object' ? (json as { rootfs?: unknown }).rootfs : undefined;
  const ids = rootfs && typeof rootfs === 'object' ? (rootfs as { diff_ids?: unknown }).diff_ids : undefined;
  if (!Array.isArray(ids) || !ids.every((d): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d))) {
    throw new PodgenError('the image config has no valid rootfs.diff_ids', { kind: 'integrity' });
  }
  return ids;
}

async function* decompressed(layer: LayerToUnpack): AsyncGenerator<Buffer> {
  const file = fs.createReadStream(layer.blobPath, { highWaterMark: 1024 * 1024 });
  switch (layer.compression) {
    case 'none':
      yield* file as AsyncIterable<Buffer>;
      return;
    case 'gzip':
      yield* file.pipe(zlib.createGunzip({ chunkSize: 1024 * 1024 })) as AsyncIterable<Buffer>; // big chunks: fewer writes to tar
      return;
    case 'zstd': {
      const zstd = pipe(['zstd', '-q', '-d', '-c'], 'pipe');
      file.pipe(zstd.child.stdin as NodeJS.WritableStream);
      yield* zstd.child.stdout as AsyncIterable<Buffer>;
      await zstd.finished;
      return;
    }
    default: {
      const never: never = layer.compression;
      throw new Error(String(never));
    }
  }
}

function refused(layer: LayerToUnpack, why: string): PodgenError {
  return new PodgenError(`layer ${layer.digest} was refused: ${why}`, {
    kind: 'integrity',
    hint: 'nothing was extracted; the image is damaged or malicious — do not run it, and tell its publisher',
  });
}

/** Unpack one layer (if not done yet) and return its directory. */
export async function unpackLayer(storeRoot: string, layer: LayerToUnpack): Promise<string> {
  const final = layerDir(storeRoot, layer.diffId);
  if (fs.existsSync(final)) return final;
  const tmpRoot = path.join(storeRoot, 'layers', '.partial');
  fs.mkdirSync(tmpRoot, { recursive: true });
  removeAbandoned(tmpRoot);
  const temp = fs.mkdtempSync(path.join(tmpRoot, `${process.pid}-${layer.diffId.slice(7, 19)}-`));
  const scanner = new TarScanner();
  const hash = createHash('sha256');
  const privileged = process.getuid?.() === 0;
  // Without root (a --user store): files become the user's, only user.* xattrs can be set and
  // device nodes cannot be made; what a rootless runtime needs is still there.
  const keep = privileged ? ['--numeric-owner', '--same-owner', '--xattrs', '--xattrs-include=*'] : ['--no-same-owner', '--xattrs', '--xattrs-include=user.*'];
  const tar = pipe(['tar', '-x', '-f', '-', '-C', temp, ...keep, '--same-permissions', '--no-overwrite-dir']);
  const stdin = tar.child.stdin as NodeJS.WritableStream;
  try {
    try {
      for await (const chunk of decompressed(layer)) {
        hash.update(chunk);
        scanner.feed(chunk); // before tar sees the bytes
        if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
      }
      scanner.finish();
    } catch (e) {
      tar.child.kill('SIGKILL');
      const tarError = await tar.finished.then(() => undefined, (err: unknown) => err);
      if (e instanceof LayerRefused) throw refused(layer, e.message);
      if (e instanceof PodgenError) throw e;
      // tar died first (e.g. the disk filled up): its error is the real one.
      if (tarError && /EPIPE|write after end/i.test((e as Error).message)) throw tarFailure(storeRoot, tarError);
      throw refused(layer, `it cannot be decompressed (${(e as Error).message})`);
    }
    stdin.end();
    await tar.finished.catch((e: unknown) => {
      if (!privileged && onlyDeviceNodesRefused(e)) return; // rootless layers go without device nodes
      throw tarFailure(storeRoot, e);
    });
    const diffId = `sha256:${hash.digest('hex')}`;
    if (diffId !== layer.diffId) throw refused(layer, `its content hashes to ${diffId}, the image config says ${layer.diffId}`);
    await convertWhiteouts(temp, scanner.whiteouts, privileged);
    try {
      fs.renameSync(temp, final);
    } catch (e) {
      // Another podgen finished the same layer first: theirs is as good as ours.
      if (!fs.existsSync(final)) throw e;
      fs.rmSync(temp, { recursive: true, force: true });
    }
    return final;
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

/** A failed extraction, with the disk-full case spelled out. */
function tarFailure(storeRoot: string, e: unknown): PodgenError {
  const stderr = e instanceof PodgenError ? (e.data.stderr ?? '') : String(e);
  if (/No space left on device/i.test(stderr)) {
    return new PodgenError(`cannot unpack a layer in ${storeRoot}: no space left on device`, {
      kind: 'output',
      hint: 'the disk is full: free space (podgen image prune removes unused images) and pull again; nothing partial was kept',
    });
  }
  return e instanceof PodgenError ? e : new PodgenError(`cannot unpack a layer: ${String(e)}`, { kind: 'internal', cause: e });
}

/** Temporary directories of unpacks whose process died (kill -9) are removed. */
function removeAbandoned(tmpRoot: string): void {
  for (const name of fs.readdirSync(tmpRoot)) {
    if (processGone(Number(name.split('-')[0]))) fs.rmSync(path.join(tmpRoot, name), { recursive: true, force: true });
  }
}

/** GNU tar failed only because it could not make device nodes (EPERM without root). */
function onlyDeviceNodesRefused(e: unknown): boolean {
  const lines = (e instanceof PodgenError ? (e.data.stderr ?? '') : '').split('\n').filter((l) => l.trim() !== '');
  return lines.length > 0 && lines.every((l) => /Cannot mknod: Operation not permitted$|Exiting with failure status due to previous errors$/.test(l));
}

/**
 * OCI whiteouts -> overlayfs whiteouts: a 0:0 character device (which Linux 5.8+ lets any user
 * make) and, for opaque directories, trusted.overlay.opaque — or user.overlay.opaque without root,
 * which is what overlayfs reads when mounted with `userxattr` in a user namespace.
 */
async function convertWhiteouts(dir: string, whiteouts: readonly string[], privileged: boolean): Promise<void> {
  for (const rel of whiteouts) {
    const file = path.join(dir, rel);
    const parent = path.dirname(file);
    const base = path.basename(file);
    fs.rmSync(file, { force: true });
    if (base === '.wh..wh..opq') {
      await run(['setfattr', '-n', privileged ? 'trusted.overlay.opaque' : 'user.overlay.opaque', '-v', 'y', parent]);
    } else {
      await run(['mknod', path.join(parent, base.slice(4)), 'c', '0', '0']);
    }
  }
}

/** Mount a container's root file system: overlay of the layers (top first) with its own upper/work dirs. */
/** overlayfs's lowerdir= for an image's layer directories (bottom first): the top layer comes first. */
export function overlayLowerdir(layerDirs: readonly string[]): string {
  return [...layerDirs].reverse().join(':');
}

/** The writable layer's directories (upper, work, and the rootfs mount point), made; the overlay's options over the image's layers. */
function overlayOptions(layerDirs: readonly string[], containerDir: string): string {
  const upper = path.join(containerDir, 'upper');
  const work = path.join(containerDir, 'work');
  for (const d of [upper, work, path.join(containerDir, 'rootfs')]) fs.mkdirSync(d, { recursive: true });
  return `lowerdir=${overlayLowerdir(layerDirs)},upperdir=${upper},workdir=${work}`;
}

export async function mountRootfs(layerDirs: readonly string[], containerDir: string): Promise<string> {
  const merged = path.join(containerDir, 'rootfs');
  await run(['mount', '-t', 'overlay', 'overlay', '-o', overlayOptions(layerDirs, containerDir), merged]);
  return merged;
}

/**
 * A rootless container's root: the same upper/work/rootfs directories, and the overlay's options
 * for the runtime to mount inside the container's user namespace (kernel 5.11+; userxattr: the
 * layers' whiteouts and opaque directories are user.overlay.* there).
 */
export function rootlessOverlay(layerDirs: readonly string[], containerDir: string): string {
  return `${overlayOptions(layerDirs, containerDir)},userxattr`;
}

export async function unmountRootfs(containerDir: string): Promise<void> {
  await run(['umount', path.join(containerDir, 'rootfs')], { allowFailure: true });
}
