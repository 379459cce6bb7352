// What systemd accepts as text in a unit file. systemd validates UTF-8 strictly
// (src/basic/utf8.c, unichar_is_valid): besides malformed sequences it refuses
// the Unicode noncharacters (U+FDD0..U+FDEF and every U+xFFFE/U+xFFFF), and a
// line holding one is dropped with "is not UTF-8 clean, ignoring".

/** The first code point systemd would refuse, or undefined. */
export function firstInvalidCodePoint(s: string): number | undefined {
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return cp;
  }
  return undefined;
}

export function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
