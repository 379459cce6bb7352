// `podgen pull`, for both the yargs CLI and entry.ts's fast path: a plain pull
// skips loading yargs (~50 ms of Node start-up), as `ps` does. No imports at
// the top: entry.ts loads this module for every command.

export interface PullArgs {
  readonly image: string;
  readonly unpack: boolean;
  readonly user: boolean;
  readonly quiet: boolean;
  readonly json: boolean;
  readonly 'insecure-registry': string[];
  /** always/newer: fetch (nothing is downloaded when nothing changed); missing: only when the store lacks it; never: the store's or an error. */
  readonly policy?: 'always' | 'missing' | 'newer' | 'never';
}

/** `pull IMAGE` with only these boolean flags: the common case, parsed without yargs. */
export function quickPull(argv: readonly string[]): PullArgs | undefined {
  if (argv[0] !== 'pull') return undefined;
  const rest = argv.slice(1);
  const positional = rest.filter((a) => !a.startsWith('-'));
  const flags = rest.filter((a) => a.startsWith('-'));
  if (positional.length !== 1 || !flags.every((f) => ['-q', '--quiet', '--json', '--user', '--no-unpack'].includes(f))) return undefined;
  return {
    image: positional[0] as string,
    unpack: !flags.includes('--no-unpack'),
    user: flags.includes('--user'),
    quiet: flags.includes('-q') || flags.includes('--quiet'),
    json: flags.includes('--json'),
    'insecure-registry': [],
  };
}

export async function runPull(args: PullArgs): Promise<void> {
  const { pull, SILENT, configuredShortNameRegistry } = await import('../image/pull');
  const { forgetPreparedBundles } = await import('../runtime/kept');
  const { defaultStoreRoot } = await import('../image/store');
  const { lineProgress, ttyProgress } = await import('./progress');
  const progress = args.quiet || args.json ? SILENT : process.stderr.isTTY ? ttyProgress(process.stderr) : lineProgress(process.stderr);
  if (args.policy === 'missing' || args.policy === 'never') {
    const { pullIfMissing } = await import('../image/pull');
    const image = await pullIfMissing({
      image: args.image,
      storeRoot: defaultStoreRoot(args.user),
      insecureRegistries: args['insecure-registry'],
      progress,
      unpack: args.unpack,
      policy: args.policy,
      onRecorded: () => forgetPreparedBundles(args.user),
    });
    if (args.json) process.stdout.write(`${JSON.stringify({ image }, null, 2)}\n`);
    else if (args.quiet) process.stdout.write(`${image.manifestDigest}\n`);
    else process.stdout.write(`${image.name} ${image.manifestDigest}\n`);
    return;
  }
  const result = await pull({
    image: args.image,
    storeRoot: defaultStoreRoot(args.user),
    insecureRegistries: args['insecure-registry'],
    progress,
    unpack: args.unpack,
    shortNameRegistry: configuredShortNameRegistry(),
    onRecorded: () => forgetPreparedBundles(args.user),
  });
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (args.quiet) process.stdout.write(`${result.image.manifestDigest}\n`);
  else process.stdout.write(`${result.image.name} ${result.image.manifestDigest} (${result.downloaded} blobs downloaded, ${result.bytesDownloaded} bytes)\n`);
}
