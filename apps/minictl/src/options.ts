/** Commander helper: a repeatable option collecting every value in order. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];
