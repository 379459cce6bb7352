// Word splitting exactly as systemd does it for unit-file values
// (src/basic/extract-word.c, extract_first_word). Quadlet uses the same
// algorithm, so ExecStart argv, Environment= assignments and list keys are
// split identically by podgen, Quadlet and systemd itself.

export interface SplitFlags {
  /** Allow unbalanced quotes and a trailing backslash. */
  readonly relax?: boolean;
  /** Apply C escapes (\n, \t, \x41, \101, \u00e9 ...). */
  readonly cUnescape?: boolean;
  /** Keep unknown escapes verbatim instead of failing. */
  readonly unescapeRelax?: boolean;
  /** Quotes group words and are removed. */
  readonly unquote?: boolean;
  /** Backslash is an ordinary character. */
  readonly retainEscape?: boolean;
}

export const WHITESPACE = ' \t\n\r';

/** Flags systemd uses for ExecStart= and Quadlet for Exec=, Environment=, PodmanArgs=... */
export const EXEC_FLAGS: SplitFlags = { relax: true, unquote: true, cUnescape: true };
/** Flags systemd uses for list values (config_parse_strv): WantedBy=, Alias=, DropCapability=... */
export const STRV_FLAGS: SplitFlags = { retainEscape: true, unquote: true };

export class SplitError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

function hexValue(c: string | undefined): number {
  if (c === undefined || !/^[0-9a-fA-F]$/.test(c)) return -1;
  return parseInt(c, 16);
}

/**
 * Decode one C escape starting right after the backslash.
 * Returns [consumed chars, decoded text] or undefined when invalid.
 */
export function cUnescapeOne(s: string, at: number): [number, string] | undefined {
  const c = s[at];
  if (c === undefined) return undefined;
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [1, simple];
  if (c === 'x') {
    const a = hexValue(s[at + 1]);
    const b = hexValue(s[at + 2]);
    if (a < 0 || b < 0 || (a === 0 && b === 0)) return undefined;
    return [3, String.fromCodePoint((a << 4) | b)];
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    let v = 0;
    for (let i = 1; i <= n; i++) {
      const h = hexValue(s[at + i]);
      if (h < 0) return undefined;
      v = v * 16 + h;
    }
    if (v === 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
    return [n + 1, String.fromCodePoint(v)];
  }
  if (c >= '0' && c <= '7') {
    const digits = s.slice(at, at + 3);
    if (!/^[0-7]{3}$/.test(digits)) return undefined;
    const v = parseInt(digits, 8);
    if (v === 0 || v > 255) return undefined;
    return [3, String.fromCodePoint(v)];
  }
  return undefined;
}

interface Extracted {
  readonly word: string;
  readonly rest: number; // index where the remaining input starts
}

/** Port of extract_first_word(); returns undefined when no word is left. */
function extractFirstWord(input: string, start: number, separators: string, flags: SplitFlags): Extracted | undefined {
  let p = start;
  const end = input.length;
  // Skip leading separators.
  while (p < end && separators.includes(input[p] as string)) p++;
  if (p >= end) return undefined;

  let word = '';
  let quote: string | null = null;
  let backslash = false;

  for (;;) {
    const c = p < end ? (input[p] as string) : null;
    if (backslash) {
      if (c === null) {
        if (flags.unescapeRelax && (quote === null || flags.relax)) {
          word += '\\';
          return { word, rest: end };
        }
        if (flags.relax) return { word, rest: end };
        throw new SplitError('unbalanced escape (trailing backslash)');
      }
      if (flags.cUnescape) {
        const decoded = cUnescapeOne(input, p);
        if (decoded) {
          word += decoded[1];
          p += decoded[0];
        } else if (flags.unescapeRelax) {
          word += '\\' + c;
          p++;
        } else {
          throw new SplitError(`unsupported escape sequence "\\${c}"`);
        }
      } else {
        word += c;
        p++;
      }
      backslash = false;
      continue;
    }
    if (quote !== null) {
      if (c === null) {
        if (flags.relax) return { word, rest: end };
        throw new SplitError('unbalanced quotes');
      }
      if (c === quote) {
        quote = null;
        p++;
        if (!flags.unquote) word += c;
        continue;
      }
      if (c === '\\' && !flags.retainEscape) {
        backslash = true;
        p++;
        continue;
      }
      word += c;
      p++;
      continue;
    }
    if (c === null) return { word, rest: end };
    if ((c === "'" || c === '"') && flags.unquote) {
      quote = c;
      p++;
      continue;
    }
    if (c === '\\' && !flags.retainEscape) {
      backslash = true;
      p++;
      continue;
    }
    if (separators.includes(c)) {
      while (p < end && separators.includes(input[p] as string)) p++;
      return { word, rest: p };
    }
    word += c;
    p++;
  }
}

/** Split a whole value into words; throws SplitError on malformed input (non-relaxed modes). */
export function splitWords(input: string, flags: SplitFlags, separators: string = WHITESPACE): string[] {
  const words: string[] = [];
  let pos = 0;
  for (;;) {
    const next = extractFirstWord(input, pos, separators, flags);
    if (!next) return words;
    // systemd drops a word that ended up empty only when it never started; "" stays.
    words.push(next.word);
    pos = next.rest;
  }
}
