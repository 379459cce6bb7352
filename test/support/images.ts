// Test images built offline: a busybox root file system (Debian's
// busybox-static) in layers, packed with GNU tar, gzip or zstd compressed,
// with OCI configs, manifests and a multi-arch index.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { type Blob, blobOf, type TestRegistry } from './registry';

export const BUSYBOX = '/bin/busybox';

export interface BuiltImage {
  readonly config: Blob;
  readonly layers: readonly Blob[];
  readonly manifest: Blob;
}

type Files = Record<string, string | { symlink: string } | { copy: string } | { bytes: Buffer }>;

/** A tar of the given files (paths relative to the layer root), made by GNU tar with root ownership. */
export function tarOf(files: Files): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-layer-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (typeof content === 'string') fs.writeFileSync(p, content);
      else if ('symlink' in content) fs.symlinkSync(content.symlink, p);
      else if ('copy' in content) fs.copyFileSync(content.copy, p);
      else fs.writeFileSync(p, content.bytes);
      if (rel.startsWith('bin/')) fs.chmodSync(p, 0o755);
    }
    const r = spawnSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', dir, '-cf', '-', '.'], { maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function compress(tar: Buffer, how: 'gzip' | 'zstd'): Blob {
  if (how === 'gzip') return blobOf(zlib.gzipSync(tar), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const r = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return blobOf(r.stdout, 'application/vnd.oci.image.layer.v1.tar+zstd');
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI image from layer blobs and their uncompressed tars' digests (diff_ids). */
export function imageOf(layers: readonly Blob[], diffIds: readonly string[], architecture = 'amd64'): BuiltImage {
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture, os: 'linux', config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: diffIds } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return { config, layers, manifest };
}

/** The diff_id of a tar: what the image config lists for a layer. */
export const diffIdOf = sha;

/** Two layers: a busybox root, then a layer that deletes a file (whiteout) and adds one. */
export function busyboxImage(opts: { compression?: 'gzip' | 'zstd'; architecture?: string; extra?: Buffer } = {}): BuiltImage {
  const base = tarOf({
    'bin/busybox': { copy: BUSYBOX },
    'bin/sh': { symlink: 'busybox' },
    'bin/httpd': { symlink: 'busybox' },
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'etc/remove-me': 'this file is deleted by the next layer\n',
    ...(opts.extra ? { 'var/big.bin': { bytes: opts.extra } } : {}),
  });
  const top = tarOf({ 'etc/.wh.remove-me': '', 'etc/motd': `podgen test image ${opts.architecture ?? 'amd64'}\n` });
  const how = opts.compression ?? 'gzip';
  return imageOf([compress(base, how), compress(top, how)], [sha(base), sha(top)], opts.architecture);
}

export async function pushImage(reg: TestRegistry, repo: string, tag: string, img: BuiltImage): Promise<void> {
  for (const b of [img.config, ...img.layers]) await reg.pushBlob(repo, b);
  await reg.pushManifest(repo, tag, img.manifest);
}

/** An OCI index with one manifest per architecture. */
export async function pushIndex(reg: TestRegistry, repo: string, tag: string, images: Record<string, BuiltImage>): Promise<Blob> {
  for (const [arch, img] of Object.entries(images)) await pushImage(reg, repo, `only-${arch}`, img);
  const index = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: Object.entries(images).map(([arch, img]) => ({
          mediaType: img.manifest.mediaType,
          digest: img.manifest.digest,
          size: img.manifest.bytes.length,
          platform: { os: 'linux', architecture: arch },
        })),
      }),
    ),
    'application/vnd.oci.image.index.v1+json',
  );
  await reg.pushManifest(repo, tag, index);
  return index;
}
