// Array helpers that stay safe at any size. `a.push(...b)` and
// `Math.max(...b)` pass every element as a call argument, and V8 throws
// RangeError (call stack) past ~100,000 of them: a definition with that many
// Environment= words must give a unit, not a crash.

/** Append every item of items to target, in order. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The largest of numbers, or 0 for none. */
export function maxOf(numbers: Iterable<number>): number {
  let max = 0;
  for (const n of numbers) if (n > max) max = n;
  return max;
}
