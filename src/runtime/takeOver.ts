// How the OCI runtime takes over a prepared bundle: `runc create`, or podgen-start
// (native/podgen-start.c) around it. One argv shape for the unit text, where the paths
// hold systemd specifiers (%t), and for `prepare --then`, where they are real: a fast
// restart's sh line and Node's start must run the very same command. Pure, and a module
// of its own so that generate can ask for START_HELPER without loading the runtime.

import * as path from 'node:path';

/** Where npm install builds native/podgen-start.c (build/src/runtime -> build/native). */
export const START_HELPER = path.resolve(__dirname, '..', '..', 'native', 'podgen-start');

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

export function createArgv(l: BundleLayout): string[] {
  return [l.runtime, '--root', l.stateRoot, 'create', '--pid-file', pidFileOf(l), '--bundle', l.bundle, l.name];
}

/** podgen-start PIDFILE FIFO -- <create>: create, hand the container to systemd, start it. */
export function startArgv(helper: string, l: BundleLayout): string[] {
  return [helper, pidFileOf(l), execFifoOf(l), '--', ...createArgv(l)];
}
