// Seeded randomness for the tests that compare the stand-in's git objects with git's: a failure
// names its seed, and GIT_OBJECTS_SEED=<seed> replays it.
/** A small seeded generator (mulberry32), so a failure replays; the seed is in the test name. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

/** GIT_OBJECTS_SEED, or one drawn from the clock. */
export function testSeed(): number {
  return Number(process.env.GIT_OBJECTS_SEED ?? Date.now() % 100000);
}
