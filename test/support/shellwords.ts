// Shell-word splitting as go-shellwords does it (podman's Quadlet test suite
// uses it to read "## assert-..." lines): quotes group, a backslash escapes the
// next character outside single quotes, quotes inside a word concatenate.

export function shellwords(line: string): string[] {
  const words: string[] = [];
  let buf = '';
  let inWord = false;
  let single = false;
  let double = false;
  let escaped = false;
  for (const ch of line) {
    if (escaped) {
      buf += ch;
      escaped = false;
      inWord = true;
      continue;
    }
    if (ch === '\\' && !single) {
      escaped = true;
      continue;
    }
    if (ch === "'" && !double) {
      single = !single;
      inWord = true;
      continue;
    }
    if (ch === '"' && !single) {
      double = !double;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch) && !single && !double) {
      if (inWord) words.push(buf);
      buf = '';
      inWord = false;
      continue;
    }
    buf += ch;
    inWord = true;
  }
  if (single || double) throw new Error(`unterminated quote in: ${line}`);
  if (inWord) words.push(buf);
  return words;
}
