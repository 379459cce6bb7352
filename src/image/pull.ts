// `podgen pull IMAGE`: manifest (resolving a multi-arch index to this host),
// config and layers into the content-addressed store, every blob verified,
// layers already stored skipped. A pull killed at any moment can be re-run:
// finished blobs stay, partial ones are discarded.

import { trace } from '../trace';
import { PodgenError } from '../errors';
import { type Descriptor, layerCompression, parseManifest, selectPlatform } from './manifest';
import { formatReference, parseReference, shortNameRegistryFrom } from './reference';
import { RegistryClient } from './registry';
import { findImage, ImageStore, sha256Digest, type StoredImage } from './store';
import { readIfExists } from '../resolve/readIfExists';
import { diffIds, unpackLayer } from './unpack';

export interface PullProgress {
  layer(digest: string, size: number, state: 'present' | 'downloading'): void;
  bytes(digest: string, n: number): void;
  done(digest: string): void;
}

export const SILENT: PullProgress = { layer: () => undefined, bytes: () => undefined, done: () => undefined };

export interface PullRequest {
  readonly image: string;
  readonly storeRoot: string;
  readonly insecureRegistries: readonly string[];
  readonly progress: PullProgress;
  /** Also unpack the layers for overlayfs (root's, or a user's with user.overlay.* xattrs). */
  readonly unpack: boolean;
  /** Registry for names without one (from registries.conf; docker.io by default). */
  readonly shortNameRegistry?: string;
  /**
   * Called once a new image is recorded: containers prepared from the old one must prepare again
   * (the runtime's forgetPreparedBundles). Required, so that no caller can forget it.
   */
  readonly onRecorded: () => Promise<void>;
}

/** The registry for names without one: the first unqualified-search registry of registries.conf, else docker.io. */
export function configuredShortNameRegistry(env: NodeJS.ProcessEnv = process.env): string {
  return shortNameRegistryFrom(readIfExists(env.CONTAINERS_REGISTRIES_CONF ?? '/etc/containers/registries.conf'));
}

/**
 * The stored image, pulled first when the store lacks it (policy `missing`, docker run's default),
 * always (`always`) or never (`never`: a missing image is the not-found error).
 */
export async function pullIfMissing(req: {
  readonly image: string;
  readonly storeRoot: string;
  readonly progress: PullProgress;
  readonly unpack: boolean;
  readonly policy?: 'missing' | 'always' | 'never';
  readonly insecureRegistries?: readonly string[];
  /** Told when a pull is about to start. */
  readonly onPull?: () => void;
  readonly onRecorded: () => Promise<void>;
}): Promise<StoredImage> {
  const store = new ImageStore(req.storeRoot);
  try {
    if (req.policy !== 'always') return findImage(store, req.image);
  } catch (e) {
    if (!(e instanceof PodgenError) || e.data.kind !== 'not-found' || req.policy === 'never') throw e;
  }
  req.onPull?.();
  await pull({ image: req.image, storeRoot: req.storeRoot, insecureRegistries: req.insecureRegistries ?? [], progress: req.progress, unpack: req.unpack, shortNameRegistry: configuredShortNameRegistry(), onRecorded: req.onRecorded });
  return findImage(store, req.image);
}

export interface PullResult {
  readonly image: StoredImage;
  /** Layer directories ready for overlayfs, bottom first (empty when not unpacked). */
  readonly layerDirs: readonly string[];
  /** Layers fetched now (the others were already in the store). */
  readonly downloaded: number;
  readonly bytesDownloaded: number;
}

/** Layers downloaded at once: containers/image (skopeo, podman) defaults to 6 too. */
const PARALLEL_LAYERS = 6;

export async function pull(req: PullRequest): Promise<PullResult> {
  const parsed = parseReference(req.image, req.shortNameRegistry);
  if (!parsed.ok) throw new PodgenError(parsed.message, { kind: 'usage', hint: 'write it like docker.io/library/nginx:1.25 or nginx:1.25' });
  const ref = parsed.ref;
  const name = formatReference(ref);
  const store = new ImageStore(req.storeRoot);
  store.ensure();
  const client = new RegistryClient(ref, RegistryClient.defaultOptions(ref, req.insecureRegistries));

  // Manifest (or index -> this host's manifest), verified against the digest that names it.
  trace('pull: start');
  let fetched = await client.manifest(ref.digest ?? (ref.tag as string));
  trace('pull: manifest');
  let manifestDigest = verifyManifest(fetched.body, ref.digest ?? fetched.digestHeader, name);
  let manifest = parseManifest(fetched.body.toString('utf8'), fetched.contentType);
  const manifests: Array<[string, Buffer]> = [[manifestDigest, fetched.body]];
  if (manifest.kind === 'index') {
    const chosen = selectPlatform(manifest.manifests);
    fetched = await client.manifest(chosen.digest);
    manifestDigest = verifyManifest(fetched.body, chosen.digest, name);
    manifest = parseManifest(fetched.body.toString('utf8'), fetched.contentType);
    manifests.push([manifestDigest, fetched.body]);
    if (manifest.kind !== 'image') throw new PodgenError(`${name}: an index points at another index`, { kind: 'integrity' });
  }
  const { config, layers } = manifest;
  for (const l of layers) layerCompression(l); // refuse unsupported layers before downloading anything
  const release = store.reserve([...manifests.map(([d]) => d), config.digest, ...layers.map((l) => l.digest)]);
  try {
    return await fetchAndRecord(req, store, client, name, manifests, config, layers);
  } finally {
    release();
  }
}

async function fetchAndRecord(
  req: PullRequest,
  store: ImageStore,
  client: RegistryClient,
  name: string,
  manifests: ReadonlyArray<[string, Buffer]>,
  config: Descriptor,
  layers: readonly Descriptor[],
): Promise<PullResult> {
  const manifestDigest = (manifests[manifests.length - 1] as [string, Buffer])[0];
  let downloaded = 0;
  let bytesDownloaded = 0;
  const fetchBlob = async (d: Descriptor): Promise<void> => {
    if (store.hasBlob(d.digest)) {
      req.progress.layer(d.digest, d.size, 'present');
      return;
    }
    req.progress.layer(d.digest, d.size, 'downloading');
    const size = await store.writeBlob(d.digest, await client.blob(d.digest), d.size, (n) => req.progress.bytes(d.digest, n));
    req.progress.done(d.digest);
    downloaded++;
    bytesDownloaded += size;
  };
  // The config downloads alongside the layers; unpacking a layer waits for it (its diff_ids).
  const configStored = fetchBlob(config);
  configStored.catch(() => undefined); // awaited below; a failure must not be "unhandled" meanwhile
  let ids: Promise<string[]> | undefined;
  const diffIdsOnce = (): Promise<string[]> => (ids ??= configStored.then(() => layerDiffIds(store, config.digest, layers)));
  // Each layer is unpacked as soon as it is stored, while the others still download.
  const unpacked: Array<Promise<string>> = [];
  const queue = layers.map((d, i) => [d, i] as const);
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_LAYERS, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [d, i] = next;
        await fetchBlob(d);
        if (req.unpack) {
          const unpacking = diffIdsOnce().then((all) => unpackStored(store, d, all[i] as string));
          unpacking.catch(() => undefined); // awaited below; a failure must not be "unhandled" meanwhile
          unpacked[i] = unpacking;
        }
      }
    }),
  );
  trace('pull: layers stored');
  await configStored;
  const layerDirs = await Promise.all(unpacked);
  // Manifests last: an image is recorded only once all it refers to is stored.
  await Promise.all(manifests.map(([digest, body]) => store.writeBlobBytes(digest, body)));
  trace('pull: manifests stored');
  const image = await store.recordImage(name, manifestDigest, config, layers);
  trace('pull: recorded');
  await req.onRecorded();
  return { image, layerDirs, downloaded, bytesDownloaded };
}

function layerDiffIds(store: ImageStore, configDigest: string, layers: readonly Descriptor[]): string[] {
  const ids = diffIds(store.readBlob(configDigest));
  if (ids.length !== layers.length) {
    throw new PodgenError(`the image config lists ${ids.length} layers, the manifest ${layers.length}`, { kind: 'integrity' });
  }
  return ids;
}

function unpackStored(store: ImageStore, l: Descriptor, diffId: string): Promise<string> {
  return unpackLayer(store.root, { blobPath: store.blobPath(l.digest), digest: l.digest, compression: layerCompression(l), diffId });
}

/** Unpack every layer of an image (each once, shared between images) for overlayfs. */
export async function unpackImage(store: ImageStore, configDigest: string, layers: readonly Descriptor[]): Promise<string[]> {
  const ids = layerDiffIds(store, configDigest, layers);
  return Promise.all(layers.map((l, i) => unpackStored(store, l, ids[i] as string)));
}

/** The digest of a manifest body, which must equal the digest it was asked for (or announced with). */
function verifyManifest(body: Buffer, expected: string | undefined, name: string): string {
  const actual = sha256Digest(body);
  if (expected && expected !== actual) {
    throw new PodgenError(`manifest of ${name} failed verification: expected ${expected}, received ${actual}`, {
      kind: 'integrity',
      hint: 'something altered the data between the registry and this host; nothing was stored',
    });
  }
  return actual;
}
