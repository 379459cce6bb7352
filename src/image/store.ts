// The content-addressed image store (I/O edge):
//
//   ROOT/blobs/sha256/<hex>     every manifest, config and layer, stored once, verified by sha256
//   ROOT/blobs/sha256/.partial  downloads in progress (unique names; renamed into place when verified)
//   ROOT/images.json            image name -> manifest digest (+ config and layer digests)
//   ROOT/lock                   serialises changes to images.json between processes
//
// ROOT is /var/lib/podgen (root) or $XDG_DATA_HOME/podgen (~/.local/share/podgen) with --user.
// Every write is temp file + rename, so a pull killed with kill -9 at any moment
// leaves a consistent store; finished blobs are kept and not fetched again.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { withLockFile } from '../output/lockFile';
import { processGone } from '../process/gone';
import { listDir } from '../resolve/readIfExists';
import { formatReference, parseReference } from './reference';

export interface StoredImage {
  /** Canonical name, e.g. docker.io/library/nginx:1.25. */
  readonly name: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly string[];
  readonly size: number;
  /** When podgen stored it (ISO 8601). */
  readonly pulled: string;
}

/** What recording needs of a blob. */
export interface SizedBlob {
  readonly digest: string;
  readonly size: number;
}

interface IndexFile {
  readonly version: 1;
  readonly images: StoredImage[];
}

export function defaultStoreRoot(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_STORE) return env.PODGEN_STORE;
  if (!user) return '/var/lib/podgen';
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'podgen');
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** The sha256 digest ("sha256:<hex>") of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new PodgenError(`unsupported digest "${digest}"`, { kind: 'integrity', hint: 'podgen verifies sha256 digests only' });
  return m[1] as string;
}

/**
 * writev(2) all of `chunks` (`total` bytes): a short write (the disk filled up mid-way) is
 * continued, so the next attempt reports ENOSPC instead of the rest being silently dropped.
 */
async function writeAll(file: fs.promises.FileHandle, chunks: readonly Uint8Array[], total: number): Promise<void> {
  const { bytesWritten } = await file.writev([...chunks]);
  if (bytesWritten >= total) return;
  let rest = Buffer.concat(chunks).subarray(bytesWritten);
  while (rest.length > 0) {
    const { bytesWritten: n } = await file.write(rest);
    if (n === 0) throw Object.assign(new Error('no space left on device (write wrote nothing)'), { code: 'ENOSPC' });
    rest = rest.subarray(n);
  }
}

export class ImageStore {
  readonly blobDir: string;
  readonly partialDir: string;
  private readonly indexPath: string;
  private readonly lockPath: string;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.partialDir = path.join(this.blobDir, '.partial');
    this.indexPath = path.join(root, 'images.json');
    this.lockPath = path.join(root, 'lock');
  }

  /** Create the directories; a clear error when the store cannot be written. */
  ensure(): void {
    try {
      fs.mkdirSync(this.partialDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw storeError(this.root, e, 'create the image store');
    }
  }

  blobPath(digest: string): string {
    return path.join(this.blobDir, digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    return fs.readFileSync(this.blobPath(digest));
  }

  /**
   * Store a blob from chunks, verifying its digest (and size when known) before
   * it becomes visible. A mismatch leaves nothing behind.
   */
  async writeBlob(digest: string, chunks: AsyncIterable<Uint8Array>, expectedSize?: number, onBytes?: (n: number) => void): Promise<number> {
    const hex = digestHex(digest);
    const final = path.join(this.blobDir, hex);
    const temp = path.join(this.partialDir, `${hex}.${process.pid}.${Date.now()}`);
    const hash = createHash('sha256');
    let size = 0;
    let file: fs.promises.FileHandle | undefined;
    try {
      // Asynchronous writes and fsync run on libuv's thread pool, so concurrent layer downloads,
      // hashing and unpacking overlap instead of waiting on each other.
      file = await fs.promises.open(temp, 'wx', 0o644);
      let writing: Promise<unknown> = Promise.resolve();
      // Network chunks are 16-64 KiB: gathered into one writev(2) per MiB, not one write each.
      let batch: Uint8Array[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        await writing;
        writing = writeAll(file as fs.promises.FileHandle, batch, batched);
        batch = [];
        batched = 0;
      };
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= 1024 * 1024) await flush();
        onBytes?.(chunk.length);
        if (expectedSize !== undefined && size > expectedSize) break;
      }
      if (batched > 0) await flush();
      await writing;
      // What reached the file, not what arrived: a short write must never pass as a whole blob.
      const written = (await file.stat()).size;
      if (written !== size) throw Object.assign(new Error(`wrote ${written} of ${size} bytes`), { code: 'EIO' });
      await file.sync();
      await file.close();
      file = undefined;
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest || (expectedSize !== undefined && size !== expectedSize)) {
        throw new PodgenError(`blob ${digest} failed verification: received ${size} bytes hashing to ${actual}`, {
          kind: 'integrity',
          hint: 'the registry or something between it and this host altered the data; nothing was stored, pull again or contact the registry owner',
        });
      }
      fs.renameSync(temp, final);
      return size;
    } catch (e) {
      await file?.close().catch(() => undefined);
      fs.rmSync(temp, { force: true });
      if (e instanceof PodgenError) throw e;
      throw storeError(this.root, e, `store blob ${digest}`);
    }
  }

  /** Store a small blob held in memory (manifests, configs). */
  async writeBlobBytes(digest: string, bytes: Uint8Array): Promise<void> {
    if (this.hasBlob(digest)) return;
    await this.writeBlob(digest, (async function* () {
      yield bytes;
    })(), bytes.length);
  }

  images(): StoredImage[] {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(this.indexPath, 'utf8'));
      if (parsed && typeof parsed === 'object' && 'images' in parsed && Array.isArray(parsed.images)) return parsed.images as StoredImage[];
      return [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError(this.root, e, 'read the image index');
    }
  }

  /** Record an image whose manifest, config and layers are all stored (under the store lock). */
  async recordImage(name: string, manifestDigest: string, config: SizedBlob, layers: readonly SizedBlob[]): Promise<StoredImage> {
    const image: StoredImage = {
      name,
      manifestDigest,
      configDigest: config.digest,
      layers: layers.map((l) => l.digest),
      size: config.size + layers.reduce((a, l) => a + l.size, 0),
      pulled: new Date().toISOString(),
    };
    await this.putImage(image);
    return image;
  }

  /** Record (or replace) an image name, under the store lock. */
  async putImage(image: StoredImage): Promise<void> {
    await this.withLock(() => {
      const images = this.images().filter((i) => i.name !== image.name);
      images.push(image);
      this.writeIndex({ version: 1, images });
    });
  }

  async removeImage(name: string): Promise<StoredImage | undefined> {
    return this.withLock(() => {
      const images = this.images();
      const found = images.find((i) => i.name === name);
      if (found) this.writeIndex({ version: 1, images: images.filter((i) => i !== found) });
      return found;
    });
  }

  /**
   * Announce the blobs a pull in progress will refer to, so a concurrent
   * garbage collection keeps them. Returns the release function.
   */
  reserve(digests: readonly string[]): () => void {
    const dir = path.join(this.root, 'pulling');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(digests));
    return () => fs.rmSync(file, { force: true });
  }

  /** Blobs reserved by pulls whose process is still alive. */
  reservedDigests(): Set<string> {
    const dir = path.join(this.root, 'pulling');
    const out = new Set<string>();
    for (const name of listDir(dir)) {
      const pid = Number(name.split('-')[0]);
      const file = path.join(dir, name);
      if (!Number.isInteger(pid) || pid <= 0 || processGone(pid)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      try {
        const list: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (Array.isArray(list)) for (const d of list) if (typeof d === 'string') out.add(d);
      } catch {
        // being written right now: its pull has not downloaded anything yet
      }
    }
    return out;
  }

  private writeIndex(index: IndexFile): void {
    const temp = `${this.indexPath}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(index, null, 2)}\n`);
    fs.renameSync(temp, this.indexPath);
  }

  /** Serialise index changes between processes (a lock whose owner died is taken over). */
  async withLock<T>(fn: () => T): Promise<T> {
    try {
      return await withLockFile(this.lockPath, `the image store ${this.root}`, fn);
    } catch (e) {
      if (e instanceof PodgenError) throw e;
      throw storeError(this.root, e, 'lock the image store');
    }
  }
}

function storeError(root: string, e: unknown, what: string): PodgenError {
  const err = e as NodeJS.ErrnoException;
  const hint =
    err.code === 'ENOSPC'
      ? 'the disk is full: free space (podgen image prune removes unused images) and pull again; nothing partial was kept'
      : err.code === 'EACCES' || err.code === 'EROFS' || err.code === 'EPERM'
        ? 'run as root, or use --user for a store in your home directory'
        : undefined;
  return new PodgenError(`cannot ${what} in ${root}: ${err.message}`, { kind: 'output', hint, cause: e });
}

/** An image of the store by name (any spelling of the reference) or by a unique digest prefix. */
export function findImage(store: ImageStore, wanted: string): StoredImage {
  const images = store.images();
  const parsed = parseReference(wanted);
  const byName = parsed.ok ? images.find((i) => i.name === formatReference(parsed.ref)) : undefined;
  const hex = wanted.replace(/^sha256:/, '');
  const byDigest = /^[a-f0-9]{6,64}$/.test(hex) ? images.filter((i) => i.manifestDigest.slice(7).startsWith(hex)) : [];
  if (byName) return byName;
  if (byDigest.length === 1) return byDigest[0] as StoredImage;
  if (byDigest.length > 1) throw new PodgenError(`"${wanted}" matches ${byDigest.length} images`, { kind: 'usage', hint: 'give more digits, or the name' });
  throw new PodgenError(`no image "${wanted}" in the store ${store.root}`, { kind: 'not-found', hint: 'podgen images lists what is there; podgen pull fetches an image' });
}
