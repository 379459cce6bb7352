// `podgen import ...`: what people already have, turned into definitions.

// `import run` takes docker run flags verbatim, which yargs would read as its
// own: entry.ts dispatches it here before yargs, and its few options (before
// the command) are read by hand.

import { ENGINES, type Engine } from '../decode/decodeContainer';
import { PodgenError } from '../errors';

export interface ImportRunArgs {
  readonly input: string[];
  readonly output?: string;
  readonly engine: Engine;
  readonly force: boolean;
}

export const IMPORT_RUN_HELP = `podgen import run [--output DIR] [--engine podgen|podman] [--force] "docker run ..." | -- docker run ...

Writes a .container definition from a docker run or podman run command, to
standard output, or to DIR/NAME.container with --output (NAME from --name,
else from the image). Give the command as one quoted shell line (quotes, \\
line continuations and $VARS are read as a shell reads them), or after --.

Every flag becomes its [Container] key, or is understood (-d, -t, -i, --rm:
a note says what becomes of each), or is refused with the flag named and
why. Flags only podman honours are kept as PodmanArgs= with --engine podman.
The definition is generated once before it is written: an import that
succeeds generates and runs.

  -o, --output DIR   write DIR/NAME.container (refused if it exists, unless --force)
  -e, --engine E     the engine the definition is for (default podgen)
      --force        replace an existing DIR/NAME.container

Examples:
  podgen import run "podman run -dt -p 8080:80 --name web -e A=B nginx:1.25"
  podgen import run --output /etc/podgen/definitions -- docker run -d --restart=always redis:7`;

/** The command's own options, up to the run command (its first word that is not one of them). */
export function parseImportRunArgv(argv: readonly string[]): ImportRunArgs | 'help' {
  let output: string | undefined;
  let engine: Engine = 'podgen';
  let force = false;
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new PodgenError(`${name} needs a value`, { kind: 'usage', hint: IMPORT_RUN_HELP.split('\n')[0] });
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--force') force = true;
    else if (a === '--output' || a === '-o') output = value(a);
    else if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else if (a === '--engine' || a === '-e' || a.startsWith('--engine=')) {
      const e = a.startsWith('--engine=') ? a.slice('--engine='.length) : value(a);
      if (!(ENGINES as readonly string[]).includes(e)) throw new PodgenError(`--engine ${e}: expected ${ENGINES.join(' or ')}`, { kind: 'usage' });
      engine = e as Engine;
    } else if (a.startsWith('-')) throw new PodgenError(`unknown option ${a} before the run command`, { kind: 'usage', hint: 'put the run command in quotes, or after --' });
    else break;
  }
  return { input: argv.slice(i), ...(output !== undefined ? { output } : {}), engine, force };
}

export async function runImportRun(args: ImportRunArgs): Promise<void> {
  const { importRunLine, writeImported } = await import('../commands/importRun');
  const { machineContext } = await import('../commands/generate');
  const input = args.input;
  if (input.length === 0) throw new PodgenError('no run command given', { kind: 'usage', hint: 'podgen import run "docker run -d -p 80:80 nginx", or podgen import run -- docker run ...' });
  const result = importRunLine({ input, engine: args.engine, ctx: machineContext(false), cwd: process.cwd(), env: process.env });
  for (const n of result.imported.notes) process.stderr.write(`podgen: note: ${n}\n`);
  if (args.output === undefined) {
    process.stdout.write(result.text);
    return;
  }
  const file = writeImported(result, args.output, args.force);
  process.stderr.write(`wrote ${file}\n`);
}
