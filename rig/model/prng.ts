// A small seeded generator (sfc32 seeded through splitmix32): the same seed gives the same weights
// and input bytes on every machine, since it uses only 32-bit integer arithmetic.
export interface Prng {
  nextU32(): number;
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  /** Float in [0, 1). */
  float(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createPrng(seed: number, stream = 0): Prng {
  const mix = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2f)) >>> 0);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = 1;
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextU32();
  return {
    nextU32,
    int(lo, hi) {
      const span = hi - lo + 1;
      return lo + Math.floor((nextU32() / 0x100000000) * span);
    },
    float() {
      return nextU32() / 0x100000000;
    },
  };
}
