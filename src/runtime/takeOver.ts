// How the OCI runtime takes over a prepared bundle: `runc create`, or podgen-unit start
// around it. One argv shape for the unit text, where the paths hold systemd specifiers (%t,
// %S), and for `prepare --then`, where they are real: a fast restart's sh line and Node's
// start must run the very same command. Pure, and a module of its own so that generate can
// ask for NATIVE_HELPER without loading the runtime.

import * as path from 'node:path';

/** Where npm install builds native/*.c (build/src/runtime -> build/native): podgen-unit, native/unit.h. */
export const NATIVE_HELPER = path.resolve(__dirname, '..', '..', 'native', 'podgen-unit');

/** A bundle as the runtime sees it: the runtime binary, its --root, the bundle directory, the container name. */
export interface BundleLayout {
  readonly runtime: string;
  readonly stateRoot: string;
  readonly bundle: string;
  readonly name: string;
}

export const pidFileOf = (l: BundleLayout): string => `${l.bundle}/pid`;

/** runc's own: a created container's init waits until something opens it for reading (runc start). */
export const execFifoOf = (l: BundleLayout): string => `${l.stateRoot}/${l.name}/exec.fifo`;

/**
 * The marker of a bundle ready for a Node-free start: `ready-KEY`, KEY naming the arguments it was
 * prepared from (podgenEngine.ts). native/cleanup.c knows the same prefix.
 */
export const READY_MARKER_PREFIX = 'ready-';
export const readyMarkerOf = (bundle: string, key: string): string => `${bundle}/${READY_MARKER_PREFIX}${key}`;

/** What prepare leaves in the bundle for the Node-free cleanup: the writable layer's directory, then the overlay's lowerdir. */
export const overlayFileOf = (bundle: string): string => `${bundle}/overlay`;
/** The PID of a rootless container's pasta (its --pid file). */
export const pastaPidFileOf = (bundle: string): string => `${bundle}/pasta.pid`;

export function createArgv(l: BundleLayout): string[] {
  return [l.runtime, '--root', l.stateRoot, 'create', '--pid-file', pidFileOf(l), '--bundle', l.bundle, l.name];
}

/** podgen-unit start [--record R] PIDFILE FIFO -- <create>: create, hand the container to systemd, start it. */
export function startArgv(helper: string, l: BundleLayout, record: string | undefined): string[] {
  return [helper, 'start', ...(record ? ['--record', record] : []), pidFileOf(l), execFifoOf(l), '--', ...createArgv(l)];
}

/**
 * The same only when MARKER exists (a Node-free restart's ready bundle), else exec OTHERWISE (the
 * full start). OTHERWISE goes last: it holds the definition's words, which systemd may expand
 * into more or fewer words ($VAR).
 */
export function readyStartArgv(helper: string, l: BundleLayout, record: string | undefined, marker: string, otherwise: readonly string[]): string[] {
  return [helper, 'start', ...(record ? ['--record', record] : []), '--ready', marker, pidFileOf(l), execFifoOf(l), '--', ...createArgv(l), '--', ...otherwise];
}

/** podgen-unit cleanup: the Node-free stop of a host/none container, or FALLBACK (podgen cleanup) when anything is unusual. */
export function fastCleanupArgv(helper: string, l: BundleLayout, fallback: readonly string[]): string[] {
  return [helper, 'cleanup', l.bundle, l.runtime, l.stateRoot, l.name, '--', ...fallback];
}
