// "Did you mean ...?" for misspelt keys and sections.

/** Edit distance where swapping two neighbours counts as one edit (optimal string alignment): "Wnats" is one from "Wants". */
function distance(a: string, b: string): number {
  // Three rows: the one before the previous is needed for a transposition.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      cur.push(d);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest known name: a case-insensitive match first, else an edit distance within a third of the length. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestScore) {
      best = k;
      bestScore = d;
    }
  }
  return best !== undefined && bestScore <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}
