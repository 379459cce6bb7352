// A whole `docker run ...` shell line -> its words, as a POSIX shell reads
// them: quotes, backslashes, `\`-newline continuations and $VAR expansion.
// Splitting is shell-quote's; two things it does not do as a shell does are
// done here (docs/architecture.md, "Importing run lines"): a backslash-newline is
// removed before splitting (shell-quote turns it into an empty word, and keeps
// it inside double quotes), and an unset $VAR is an error rather than "" (a
// shell would pass the empty string, which is rarely what the line meant).
// A # comment ends the line; globs and operators are refused.

import { parse } from 'shell-quote';
import { PodgenError } from '../errors';

/** Remove backslash-newline pairs outside single quotes (a shell's line continuation). */
export function joinContinuations(line: string): string {
  let out = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      out += c;
      continue;
    }
    if (c === '\\') {
      const next = line[i + 1];
      if (next === '\n') {
        i++;
        continue;
      }
      if (next === '\r' && line[i + 2] === '\n') {
        i += 2;
        continue;
      }
      out += c + (next ?? '');
      i++;
      continue;
    }
    if (c === '"' || c === "'") quote = quote === c ? undefined : quote ?? c;
    out += c;
  }
  return out;
}

const usage = (message: string, hint: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

/** The words of one shell command line; operators (|, &&, ;, >, globs) and unset variables are refused. */
export function splitShellLine(line: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const unset: string[] = [];
  const tokens = parse(joinContinuations(line), (name: string) => {
    const v = env[name];
    if (v === undefined) unset.push(name);
    return v ?? '';
  });
  if (unset.length > 0) {
    throw usage(`the line uses $${unset[0]}, which is not set here`, `set it, write its value instead, or put the word in single quotes ('$${unset[0]}') to keep the dollar sign`);
  }
  // A comment ends the command, as in a shell.
  const end = tokens.findIndex((t) => typeof t !== 'string' && 'comment' in t);
  return (end === -1 ? tokens : tokens.slice(0, end)).map((t) => {
    if (typeof t === 'string') return t;
    if ('op' in t && t.op === 'glob') throw usage(`"${t.pattern}" is a file name pattern a shell would expand here`, 'quote it to pass it as it is');
    throw usage(`the line has a shell operator "${'op' in t ? t.op : '?'}": only one command can be imported`, 'give one docker run or podman run command, without pipes, redirections, ; or &&');
  });
}

/**
 * A command given as one string in a compose file (command:, entrypoint:, healthcheck test):
 * split into words as a shell would, with no expansion ($ is literal: compose interpolated the
 * file already, and $$ became $).
 */
export function splitCommandString(s: string): string[] {
  const tokens = parse(joinContinuations(s), (name: string) => `$${name}`);
  return tokens.map((t) => {
    if (typeof t === 'string') return t;
    if ('op' in t && t.op === 'glob') return t.pattern;
    throw usage(`"${s}" has a shell operator; give the command as a list, or as ["sh", "-c", "..."]`, 'e.g. command: ["sh", "-c", "a && b"]');
  });
}
