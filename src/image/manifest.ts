// OCI / Docker v2 schema 2 manifests and indexes, narrowed from unknown JSON
// at the boundary (pure).

import { PodgenError } from '../errors';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export type Compression = 'gzip' | 'zstd' | 'none';

export const LAYER_MEDIA: Readonly<Record<string, Compression>> = {
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
};

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
}

export type ParsedManifest =
  | { readonly kind: 'index'; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'image'; readonly config: Descriptor; readonly layers: readonly Descriptor[] };

function bad(what: string): PodgenError {
  return new PodgenError(`the registry sent a malformed manifest: ${what}`, { kind: 'integrity', hint: 'the image may be corrupt; try another tag' });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw bad(`${where} is not an object`);
  const { mediaType, digest, size, platform } = v;
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) throw bad(`${where} has no sha256 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${where} has no valid size`);
  const d: Descriptor = { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
  if (isRecord(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    return { ...d, platform: { os: platform.os, architecture: platform.architecture, variant: typeof platform.variant === 'string' ? platform.variant : undefined } };
  }
  return d;
}

/** Parse a manifest or index, using the Content-Type when the body has no mediaType. */
export function parseManifest(body: string, contentType: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw bad('it is not JSON');
  }
  if (!isRecord(json)) throw bad('it is not a JSON object');
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : contentType.split(';')[0]?.trim() ?? '';
  switch (mediaType) {
    case MEDIA.ociIndex:
    case MEDIA.dockerList: {
      if (!Array.isArray(json.manifests)) throw bad('the index lists no manifests');
      return { kind: 'index', manifests: json.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
    }
    case MEDIA.ociManifest:
    case MEDIA.dockerManifest: {
      if (!Array.isArray(json.layers)) throw bad('it lists no layers');
      return { kind: 'image', config: descriptor(json.config, 'config'), layers: json.layers.map((l, i) => descriptor(l, `layers[${i}]`)) };
    }
    default:
      throw new PodgenError(`unsupported manifest media type "${mediaType || '(none)'}"`, {
        kind: 'integrity',
        hint: 'podgen understands OCI image manifests/indexes and Docker v2 schema 2; schema 1 images must be re-pushed with a current tool',
      });
  }
}

/** The host's platform in OCI terms. */
export function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', ia32: '386' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** Pick the host's manifest from an index, or explain what the image offers. */
export function selectPlatform(manifests: readonly Descriptor[], want = hostPlatform()): Descriptor {
  const match = manifests.find((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  if (match) return match;
  const offered = manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : 'unknown')).join(', ');
  throw new PodgenError(`the image has no ${want.os}/${want.architecture} variant (it offers: ${offered || 'nothing'})`, {
    kind: 'not-found',
    hint: 'choose an image built for this machine',
  });
}

export function layerCompression(d: Descriptor): Compression {
  const c = LAYER_MEDIA[d.mediaType];
  if (c === undefined) {
    throw new PodgenError(`unsupported layer media type "${d.mediaType}" (${d.digest})`, {
      kind: 'integrity',
      hint: 'podgen reads tar layers, uncompressed, gzip or zstd',
    });
  }
  return c;
}
