// The process entry point (bin/podgen and the units' ExecStartPre/ExecStopPost).
// The runtime commands that systemd runs on every container start skip the
// rest of the CLI (yargs and the generator pipeline): their start-up time is
// the container's start latency.

import { RUNTIME_COMMANDS, type RuntimeCommand, runRuntimeCommand } from './runtimeCli';

export async function entry(argv: string[]): Promise<void> {
  const first = argv[0] as RuntimeCommand;
  if (!RUNTIME_COMMANDS.includes(first)) {
    await (await import('./main')).main(argv);
    return;
  }
  try {
    const status = await runRuntimeCommand(first, argv.slice(1), process.stdout);
    if (status !== 0) process.exitCode = status;
  } catch (e) {
    const { describeError, ExitCode, PodgenError } = await import('../errors');
    process.stderr.write(`${describeError(e)}\n`);
    process.exitCode = e instanceof PodgenError ? e.exitCode : ExitCode.internal;
  }
}

if (require.main === module) void entry(process.argv.slice(2));
