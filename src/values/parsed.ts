// What every value parser returns: the typed value, or a message that says
// what is wrong and what a good value looks like.

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = (message: string): { readonly ok: false; readonly message: string } => ({ ok: false, message });

/** The message of a failed parse, or undefined: how decode's checks use a parser. */
export const problemOf = <T>(p: Parsed<T>): string | undefined => (p.ok ? undefined : p.message);
