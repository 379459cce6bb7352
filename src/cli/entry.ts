// The process entry point (bin/podgen and the units' ExecStart/ExecStopPost commands).
// The runtime commands that systemd runs on every container start, `ps` and a
// plain `pull` skip the rest of the CLI (yargs and the generator pipeline):
// their start-up time is much of what they cost.

import type { PsArgs } from '../commands/ps';
import { quickPull } from './pullCli';
import { guardStdout } from './stdout';
import { RUNTIME_COMMANDS, type RuntimeCommand, runRuntimeCommand } from './runtimeCli';

/** `ps` with only its own flags: the command scripts poll, so it skips yargs too (which reads the same flags, and says what is wrong). */
function quickPs(argv: readonly string[]): PsArgs | undefined {
  if (argv[0] !== 'ps') return undefined;
  const bools: Record<string, 'all' | 'json' | 'user' | 'quiet' | 'latest'> = { '-a': 'all', '--all': 'all', '--json': 'json', '--user': 'user', '-q': 'quiet', '--quiet': 'quiet', '-l': 'latest', '--latest': 'latest' };
  const args = { all: false, json: false, user: false, quiet: false, latest: false, filter: [] as string[], format: undefined as string | undefined };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    const b = bools[a];
    if (b) args[b] = true;
    else if ((a === '--format' || a === '--filter' || a === '-f') && argv[i + 1] !== undefined) {
      const v = argv[++i] as string;
      if (a === '--format') args.format = v;
      else args.filter.push(v);
    } else if (a.startsWith('--format=')) args.format = a.slice('--format='.length);
    else if (a.startsWith('--filter=')) args.filter.push(a.slice('--filter='.length));
    else return undefined;
  }
  return args;
}

async function fail(e: unknown): Promise<void> {
  const { describeError, ExitCode, PodgenError } = await import('../errors');
  process.stderr.write(`${describeError(e)}\n`);
  process.exitCode = e instanceof PodgenError ? e.exitCode : ExitCode.internal;
}

export async function entry(argv: string[]): Promise<void> {
  guardStdout(process.stdout);
  const ps = quickPs(argv);
  if (ps) {
    await (await import('../commands/ps')).psCommand(ps, process.stdout).catch(fail);
    return;
  }
  const pull = quickPull(argv);
  if (pull) {
    await (await import('./pullCli')).runPull(pull).catch(fail);
    return;
  }
  if (argv[0] === 'import' && argv[1] === 'run') {
    try {
      const { parseImportRunArgv, runImportRun, IMPORT_RUN_HELP } = await import('./importCli');
      const args = parseImportRunArgv(argv.slice(2));
      if (args === 'help') process.stdout.write(`${IMPORT_RUN_HELP}\n`);
      else await runImportRun(args);
    } catch (e) {
      await fail(e);
    }
    return;
  }
  const first = argv[0] as RuntimeCommand;
  if (!RUNTIME_COMMANDS.includes(first)) {
    await (await import('./main')).main(argv);
    return;
  }
  try {
    const status = await runRuntimeCommand(first, argv.slice(1), process.stdout);
    if (status !== 0) process.exitCode = status;
  } catch (e) {
    await fail(e);
  }
}

if (require.main === module) void entry(process.argv.slice(2));
