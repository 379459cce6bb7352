// A rootless container's root file system where the kernel cannot mount
// overlayfs in a user namespace (before Linux 5.11): the image's layers copied,
// bottom first, into one plain directory, with their whiteouts applied as
// overlayfs would apply them (a 0:0 character device hides the name below it;
// a directory marked user.overlay.opaque hides everything below it). Nothing is
// mounted, so no privilege is needed. It costs the image's size and a copy per
// start (reflinks where the file system has them); the choice and its reason are
// rootless.rootlessRootfsMode's, shown by `podgen info`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../process/run';

const OPAQUE_XATTR = 'user.overlay.opaque';

/** The directories of one layer marked opaque, by absolute path: one getfattr for the whole layer. */
async function opaqueDirs(layer: string): Promise<Set<string>> {
  const r = await run(['getfattr', '-R', '-P', '--absolute-names', '-d', '-m', `^${OPAQUE_XATTR.replace(/\./g, '\\.')}$`, layer], { allowFailure: true });
  const dirs = new Set<string>();
  let file: string | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice('# file: '.length);
    else if (file !== undefined && line === `${OPAQUE_XATTR}="y"`) dirs.add(file);
  }
  return dirs;
}

function lstatIfExists(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Run `fn` on a file of ours that we may not read (a 0000 /etc/shadow, a 0311 directory):
 * inside the container its root reads it anyway, so the copy must too. Read access is lent
 * for the copy and the mode put back.
 */
function readingOwn<T>(p: string, st: fs.Stats, fn: () => T): T {
  const need = st.isDirectory() ? fs.constants.R_OK | fs.constants.X_OK : fs.constants.R_OK;
  try {
    fs.accessSync(p, need);
    return fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).syscall !== 'access' || st.uid !== process.getuid?.()) throw e;
  }
  fs.chmodSync(p, (st.mode & 0o7777) | (st.isDirectory() ? 0o500 : 0o400));
  try {
    return fn();
  } finally {
    fs.chmodSync(p, st.mode & 0o7777);
  }
}

interface CopyState {
  /** Final mode and times of each directory, applied when every layer is in (a 0555 directory must take its children first). */
  readonly dirs: Map<string, fs.Stats>;
}

function copyLayer(src: string, dst: string, opaque: ReadonlySet<string>, state: CopyState): void {
  // Hard links within a layer stay hard links.
  const linked = new Map<string, string>();
  const walk = (s: string, d: string): void => {
    if (opaque.has(s)) for (const e of fs.readdirSync(d)) fs.rmSync(path.join(d, e), { recursive: true, force: true });
    // The whole directory is walked with access lent: its entries must be reachable too.
    readingOwn(s, fs.lstatSync(s), () => walkEntries(s, d));
  };
  const walkEntries = (s: string, d: string): void => {
    for (const ent of fs.readdirSync(s, { withFileTypes: true })) {
      const sp = path.join(s, ent.name);
      const dp = path.join(d, ent.name);
      const st = fs.lstatSync(sp);
      const below = lstatIfExists(dp);
      if (st.isCharacterDevice() && st.rdev === 0) {
        if (below) fs.rmSync(dp, { recursive: true, force: true });
        continue;
      }
      if (st.isDirectory()) {
        if (below && !below.isDirectory()) fs.rmSync(dp, { force: true });
        if (!below?.isDirectory()) fs.mkdirSync(dp, { mode: 0o700 });
        else fs.chmodSync(dp, 0o700);
        walk(sp, dp);
        state.dirs.set(dp, st);
        continue;
      }
      if (below) fs.rmSync(dp, { recursive: true, force: true });
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? linked.get(key) : undefined;
      if (first !== undefined && lstatIfExists(first)) {
        fs.linkSync(first, dp);
      } else if (st.isSymbolicLink()) {
        fs.symlinkSync(fs.readlinkSync(sp), dp);
        fs.lutimesSync(dp, st.atimeMs / 1000, st.mtimeMs / 1000);
      } else if (st.isFile()) {
        readingOwn(sp, st, () => fs.copyFileSync(sp, dp, fs.constants.COPYFILE_FICLONE));
        fs.chmodSync(dp, st.mode & 0o7777);
        fs.utimesSync(dp, st.atimeMs / 1000, st.mtimeMs / 1000);
      } else {
        continue; // FIFOs and sockets in an image are left out (rootless unpacks cannot make device nodes either)
      }
      if (st.nlink > 1 && first === undefined) linked.set(key, dp);
    }
  };
  walk(src, dst);
}

/** Copy the image's layers (bottom first) into `target` (created, or emptied first). */
export async function copyLayers(layerDirs: readonly string[], target: string): Promise<void> {
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  const state: CopyState = { dirs: new Map() };
  for (const layer of layerDirs) copyLayer(layer, target, await opaqueDirs(layer), state);
  // Deepest first: setting a parent's 0555 must not stop the children's.
  for (const [dir, st] of [...state.dirs].sort((a, b) => b[0].length - a[0].length)) {
    if (!lstatIfExists(dir)?.isDirectory()) continue; // a higher layer replaced it
    fs.chmodSync(dir, st.mode & 0o7777);
    fs.utimesSync(dir, st.atimeMs / 1000, st.mtimeMs / 1000);
  }
}
