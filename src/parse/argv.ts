// Taking options out of an argument list by hand, for the commands that
// cannot go through yargs (their other arguments are docker run flags).

import { PodgenError } from '../errors';

/** Remove `NAME VALUE` or `NAME=VALUE` (any of names) from argv and return the value. */
export function flagValue(argv: string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    for (const n of names) {
      if (a === n) {
        const v = argv[i + 1];
        if (v === undefined) throw new PodgenError(`${n} needs a value`, { kind: 'usage' });
        argv.splice(i, 2);
        return v;
      }
      if (a.startsWith(`${n}=`)) {
        argv.splice(i, 1);
        return a.slice(n.length + 1);
      }
    }
  }
  return undefined;
}

/** Remove a boolean option from argv; whether it was there. */
export function flag(argv: string[], name: string): boolean {
  const i = argv.indexOf(name);
  if (i === -1) return false;
  argv.splice(i, 1);
  return true;
}


export type FlagKind = 'value' | 'bool';

export interface FlagWord {
  readonly name: string;
  /** The value: the next word, the part after "=", or attached to a short flag (-p80:80); undefined for a boolean without "=". */
  readonly value: string | undefined;
  /** The word as written (for messages). */
  readonly word: string;
}

export interface ScanErrors {
  unknown(name: string, word: string): Error;
  needsValue(name: string, word: string): Error;
  /** A value flag inside a cluster of booleans (-dp): by default an unknown flag. */
  inCluster?(name: string, word: string): Error;
}

/**
 * docker-style flags up to the first operand or `--`: --name=value, --name value, -n value,
 * -nVALUE (a short value flag with its value attached), -abc (clustered booleans). The flags and
 * the index of the first operand. Pure; what a flag means is the caller's.
 */
export function scanFlags(argv: readonly string[], kindOf: (name: string) => FlagKind | undefined, errors: ScanErrors): { flags: FlagWord[]; operand: number } {
  const flags: FlagWord[] = [];
  let i = 0;
  const next = (name: string, word: string): string => {
    if (i + 1 >= argv.length) throw errors.needsValue(name, word);
    return argv[++i] as string;
  };
  for (; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return { flags, operand: i + 1 };
    if (!word.startsWith('-') || word === '-') break;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq > 0 ? word.slice(0, eq) : word;
      const kind = kindOf(name);
      if (!kind) throw errors.unknown(name, word);
      flags.push({ name, value: eq > 0 ? word.slice(eq + 1) : kind === 'value' ? next(name, word) : undefined, word });
      continue;
    }
    const first = word.slice(0, 2);
    const kind = kindOf(first);
    if (kind === 'value') {
      flags.push({ name: first, value: word.length > 2 ? word.slice(2) : next(first, word), word });
      continue;
    }
    for (const c of word.slice(1)) {
      const name = `-${c}`;
      const k = kindOf(name);
      if (k === 'value') throw (errors.inCluster ?? errors.unknown)(name, word);
      if (!k) throw errors.unknown(name, word);
      flags.push({ name, value: undefined, word });
    }
  }
  return { flags, operand: i };
}
