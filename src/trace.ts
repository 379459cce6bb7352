// PODGEN_TRACE=1: where a command spends its time, on stderr (milliseconds
// since the process started). For finding slow phases, not for parsing.

const enabled = Boolean(process.env.PODGEN_TRACE);

export function trace(label: string): void {
  if (enabled) process.stderr.write(`podgen: trace: ${label} at ${Math.round(performance.now())} ms\n`);
}
