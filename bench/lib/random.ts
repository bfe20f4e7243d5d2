/** A seeded generator, so every design of a benchmark (and every draw of a scenario) sees the same numbers. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
