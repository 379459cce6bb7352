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

