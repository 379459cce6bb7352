// Where a container's pieces live. The bundle (config.json, /etc files, the
// network state) is per boot, under the runtime directory; the writable layer
// and its rootfs mount point live in the store, on disk, so a container that
// writes a lot does not fill /run (a tmpfs).

import * as os from 'node:os';
import * as path from 'node:path';
import { defaultStoreRoot } from '../image/store';

export interface ContainerPaths {
  readonly name: string;
  /** runc/crun --root: the OCI runtime's own state. */
  readonly runtimeState: string;
  /** The OCI bundle: config.json and the files podgen bind-mounts into /etc. */
  readonly bundle: string;
  /** Upper/work dirs and the overlay mount point (rootfs). */
  readonly containerDir: string;
  readonly rootfs: string;
  readonly storeRoot: string;
  /** podgen's per-boot state: network leases and the like. */
  readonly runDir: string;
}

export function runtimeDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_RUN_DIR) return env.PODGEN_RUN_DIR;
  if (!user) return '/run';
  return env.XDG_RUNTIME_DIR || path.join(os.tmpdir(), `podgen-${process.getuid?.() ?? 'user'}`);
}

/** The same places the generated units name with %t (runtimeDir) and the store default. */
export function containerPaths(name: string, user: boolean, env: NodeJS.ProcessEnv = process.env): ContainerPaths {
  const run = runtimeDir(user, env);
  const storeRoot = defaultStoreRoot(user, env);
  const containerDir = path.join(storeRoot, 'containers', name);
  return {
    name,
    runtimeState: path.join(run, 'podgen', 'runc'),
    bundle: path.join(run, 'podgen', 'containers', name),
    containerDir,
    rootfs: path.join(containerDir, 'rootfs'),
    storeRoot,
    runDir: path.join(run, 'podgen'),
  };
}
