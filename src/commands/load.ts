// `podgen load -i FILE`: images from a docker-archive or oci-archive tarball
// (what `podman save` / `docker save` write) into the store, every blob
// verified. The archive is unpacked through the same header checks as layers.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { type Descriptor, layerCompression, MEDIA, parseManifest } from '../image/manifest';
import { formatReference, parseReference } from '../image/reference';
import { ImageStore, sha256Digest, type StoredImage } from '../image/store';
import { LayerRefused, TarScanner } from '../image/tarScan';
import { pipe } from '../process/run';
import { unpackImage } from '../image/pull';

const sha256File = (file: string): string => sha256Digest(fs.readFileSync(file));

async function extractArchive(file: string, into: string): Promise<void> {
  const scanner = new TarScanner();
  const tar = pipe(['tar', '-x', '-f', '-', '-C', into, '--no-same-owner', '--no-same-permissions']);
  const stdin = tar.child.stdin as NodeJS.WritableStream;
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      scanner.feed(chunk);
      if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
    }
    scanner.finish();
  } catch (e) {
    tar.child.kill('SIGKILL');
    await tar.finished.catch(() => undefined);
    if (e instanceof LayerRefused) throw new PodgenError(`${file} was refused: ${e.message}`, { kind: 'integrity', hint: 'give a tarball written by podman save or docker save' });
    throw new PodgenError(`cannot read ${file}: ${(e as Error).message}`, { kind: 'not-found', file });
  }
  stdin.end();
  await tar.finished;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new PodgenError(`the archive's ${what} is missing or not JSON`, { kind: 'integrity', hint: 'give a docker-archive or oci-archive tarball' });
  }
}

async function storeFile(store: ImageStore, file: string, digest?: string): Promise<string> {
  const actual = sha256File(file);
  if (digest && digest !== actual) throw new PodgenError(`${path.basename(file)} does not match its digest ${digest}`, { kind: 'integrity' });
  if (!store.hasBlob(actual)) await store.writeBlob(actual, fs.createReadStream(file) as AsyncIterable<Buffer>);
  return actual;
}

async function record(store: ImageStore, name: string, manifest: Buffer, config: Descriptor, layers: readonly Descriptor[]): Promise<StoredImage> {
  const manifestDigest = sha256Digest(manifest);
  await store.writeBlobBytes(manifestDigest, manifest);
  return store.recordImage(name, manifestDigest, config, layers);
}

function canonicalName(raw: string | undefined, fallback: string): string {
  if (!raw) return fallback;
  const parsed = parseReference(raw);
  return parsed.ok ? formatReference(parsed.ref) : fallback;
}

/** docker-archive: manifest.json lists Config, RepoTags and uncompressed layer tars. */
async function loadDocker(store: ImageStore, dir: string): Promise<StoredImage[]> {
  const entries = readJson(path.join(dir, 'manifest.json'), 'manifest.json');
  if (!Array.isArray(entries)) throw new PodgenError("the archive's manifest.json is not a list", { kind: 'integrity' });
  const out: StoredImage[] = [];
  for (const e of entries as Array<Record<string, unknown>>) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) throw new PodgenError('a manifest.json entry lacks Config or Layers', { kind: 'integrity' });
    const configPath = path.join(dir, e.Config);
    const config: Descriptor = { mediaType: 'application/vnd.docker.container.image.v1+json', digest: await storeFile(store, configPath), size: fs.statSync(configPath).size };
    const layers: Descriptor[] = [];
    for (const l of e.Layers as unknown[]) {
      if (typeof l !== 'string') throw new PodgenError('a layer entry in manifest.json is not a path', { kind: 'integrity' });
      const p = path.join(dir, l);
      layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: await storeFile(store, p), size: fs.statSync(p).size });
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config, layers }));
    const tags = Array.isArray(e.RepoTags) && e.RepoTags.length > 0 ? (e.RepoTags as unknown[]).filter((t): t is string => typeof t === 'string') : [];
    const names = tags.length > 0 ? tags.map((t) => canonicalName(t, t)) : [`localhost/loaded:${config.digest.slice(7, 19)}`];
    for (const n of names) out.push(await record(store, n, manifest, config, layers));
  }
  return out;
}

/** oci-archive: an OCI image layout (oci-layout, index.json, blobs/sha256/...). */
async function loadOci(store: ImageStore, dir: string): Promise<StoredImage[]> {
  const index = parseManifest(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'), MEDIA.ociIndex);
  if (index.kind !== 'index') throw new PodgenError('index.json is not an image index', { kind: 'integrity' });
  const raw = readJson(path.join(dir, 'index.json'), 'index.json') as { manifests?: Array<{ annotations?: Record<string, string> }> };
  const blob = (d: string): string => path.join(dir, 'blobs', 'sha256', d.slice(7));
  const out: StoredImage[] = [];
  for (const [i, desc] of index.manifests.entries()) {
    const body = fs.readFileSync(blob(desc.digest));
    const m = parseManifest(body.toString('utf8'), desc.mediaType);
    if (m.kind !== 'image') continue;
    for (const d of [m.config, ...m.layers]) await storeFile(store, blob(d.digest), d.digest);
    for (const l of m.layers) layerCompression(l);
    const annotations = raw.manifests?.[i]?.annotations ?? {};
    const name = canonicalName(annotations['io.containerd.image.name'] ?? annotations['org.opencontainers.image.ref.name'], `localhost/loaded:${m.config.digest.slice(7, 19)}`);
    out.push(await record(store, name, body, m.config, m.layers));
  }
  return out;
}

export async function loadArchive(file: string, storeRoot: string, unpack: boolean): Promise<StoredImage[]> {
  if (!fs.existsSync(file)) throw new PodgenError(`${file} does not exist`, { kind: 'not-found', file });
  const store = new ImageStore(storeRoot);
  store.ensure();
  const work = fs.mkdtempSync(path.join(store.root, '.load-'));
  try {
    await extractArchive(file, work);
    let images: StoredImage[];
    if (fs.existsSync(path.join(work, 'manifest.json'))) images = await loadDocker(store, work);
    else if (fs.existsSync(path.join(work, 'oci-layout'))) images = await loadOci(store, work);
    else throw new PodgenError(`${file} is neither a docker-archive nor an oci-archive`, { kind: 'integrity', hint: 'create it with podman save (--format docker-archive or oci-archive)' });
    if (unpack) {
      for (const img of images) {
        const m = parseManifest(store.readBlob(img.manifestDigest).toString('utf8'), MEDIA.dockerManifest);
        if (m.kind === 'image') await unpackImage(store, img.configDigest, m.layers);
      }
    }
    return images;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
