// A streaming tar header scanner (ustar, GNU long names, PAX), pure. It sees
// every header before the extractor does and refuses any entry that could
// write outside the layer directory: absolute paths, ".." components, paths
// that pass through a symlink created earlier in the same layer, and hard
// links to such paths. It also reports whiteouts for overlayfs conversion.

export class LayerRefused extends Error {}

export interface ScannedEntry {
  readonly path: string;
  readonly type: string;
}

const BLOCK = 512;

function cstring(b: Uint8Array, start: number, len: number): string {
  const slice = b.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return Buffer.from(nul === -1 ? slice : slice.subarray(0, nul)).toString('utf8');
}

function numeric(b: Uint8Array, start: number, len: number): number {
  const field = b.subarray(start, start + len);
  if ((field[0] as number) & 0x80) {
    // GNU base-256 for large values
    let v = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] as number);
    return v;
  }
  const s = cstring(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const len = Number(data.subarray(i, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new LayerRefused('malformed PAX header');
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Normalise an entry path, refusing anything that could leave the layer directory. */
export function safeEntryPath(raw: string): string {
  if (raw.includes('\0')) throw new LayerRefused(`entry "${raw}" contains a NUL byte`);
  if (raw.startsWith('/')) throw new LayerRefused(`entry "${raw}" is an absolute path`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new LayerRefused(`entry "${raw}" contains ".." and could escape the layer directory`);
  return parts.join('/');
}

export class TarScanner {
  private pending = Buffer.alloc(0);
  private skip = 0; // data bytes (padded) of the current entry still to pass
  private collect: { kind: 'pax' | 'longname' | 'longlink' | 'global'; size: number; chunks: Buffer[]; got: number } | undefined;
  private pax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private zeroBlocks = 0;
  private readonly symlinks = new Set<string>();
  readonly whiteouts: string[] = [];
  entries = 0;
  ended = false;

  /** Inspect the next bytes of the (uncompressed) tar stream; throws LayerRefused. */
  feed(chunk: Uint8Array): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    while (off < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - off);
        if (this.collect) {
          const want = this.collect.size - this.collect.got;
          const take = Math.min(n, Math.max(want, 0));
          if (take > 0) {
            this.collect.chunks.push(Buffer.from(data.subarray(off, off + take)));
            this.collect.got += take;
          }
        }
        this.skip -= n;
        off += n;
        if (this.skip === 0 && this.collect) this.finishCollect();
        continue;
      }
      if (data.length - off < BLOCK) break;
      this.header(data.subarray(off, off + BLOCK));
      off += BLOCK;
    }
    this.pending = Buffer.from(data.subarray(off));
    data = Buffer.alloc(0);
  }

  private finishCollect(): void {
    const c = this.collect as NonNullable<TarScanner['collect']>;
    this.collect = undefined;
    const body = Buffer.concat(c.chunks);
    switch (c.kind) {
      case 'pax':
        this.pax = parsePax(body);
        break;
      case 'global':
        break;
      case 'longname':
        this.longName = cstring(body, 0, body.length);
        break;
      case 'longlink':
        this.longLink = cstring(body, 0, body.length);
        break;
      default: {
        const never: never = c.kind;
        throw new Error(String(never));
      }
    }
  }

  private header(h: Uint8Array): void {
    if (this.ended) return;
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (sum !== numeric(h, 148, 8)) throw new LayerRefused('corrupt tar header (checksum mismatch): the layer is damaged');
    const type = String.fromCharCode(h[156] as number) || '0';
    const size = numeric(h, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const kind = type === 'x' ? 'pax' : type === 'g' ? 'global' : type === 'L' ? 'longname' : 'longlink';
      if (size > 1024 * 1024) throw new LayerRefused(`oversized ${kind} header (${size} bytes)`);
      this.collect = { kind, size, chunks: [], got: 0 };
      this.skip = padded;
      if (padded === 0) this.finishCollect();
      return;
    }
    const magic = cstring(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? cstring(h, 345, 155) : '';
    const rawName = this.pax.get('path') ?? this.longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
    const rawLink = this.pax.get('linkpath') ?? this.longLink ?? cstring(h, 157, 100);
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    this.check(rawName, type, rawLink);
    this.entries++;
    this.skip = type === '0' || type === '\0' || type === '7' ? padded : 0;
  }

  private check(rawName: string, type: string, rawLink: string): void {
    const p = safeEntryPath(rawName);
    if (p === '') return; // the layer root itself
    this.refuseThroughSymlink(p, rawName);
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.')) this.whiteouts.push(p);
    if (type === '2') this.symlinks.add(p);
    else this.symlinks.delete(p);
    if (type === '1') {
      const target = safeEntryPath(rawLink);
      this.refuseThroughSymlink(target, rawLink);
      if (this.symlinks.has(target)) throw new LayerRefused(`hard link "${rawName}" points at symlink "${rawLink}"`);
    }
  }

  private refuseThroughSymlink(p: string, raw: string): void {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.symlinks.has(prefix)) throw new LayerRefused(`entry "${raw}" would be written through the symlink "${prefix}" (a path escape)`);
    }
  }

  /** Call at the end of the stream. */
  finish(): void {
    if (this.skip > 0 || this.collect) throw new LayerRefused('the layer ends in the middle of an entry: it is truncated');
  }
}
