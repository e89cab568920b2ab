// Seeded draws for data handling (splits, shuffles, poisoning), through the tensor layer's
// generators so that every stream of randomness is reproducible from the run's seed.
import { Generator, randperm, randn, rand, randint, tidy } from '../tensor/index.js';

/** A generator from a seed or an existing generator (passed through). */
export function toGenerator(g: Generator | number | undefined, fallbackSeed = 0): Generator {
  if (g instanceof Generator) return g;
  return new Generator(g ?? fallbackSeed);
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, gen: Generator): Int32Array {
  if (n === 0) return new Int32Array(0);
  return tidy(() => Int32Array.from(randperm(n, gen).data() as BigInt64Array, Number));
}

/** n standard normal draws. */
export function normals(n: number, gen: Generator): Float32Array {
  if (n === 0) return new Float32Array(0);
  return tidy(() => randn([n], { generator: gen }).toFloat32Array());
}

/** n uniform draws in [0, 1). */
export function uniforms(n: number, gen: Generator): Float32Array {
  if (n === 0) return new Float32Array(0);
  return tidy(() => rand([n], { generator: gen }).toFloat32Array());
}

/** n integers uniform in [0, k). */
export function uniformInts(n: number, k: number, gen: Generator): Int32Array {
  if (n === 0) return new Int32Array(0);
  return tidy(() => Int32Array.from(randint(0, k, [n], gen).data() as BigInt64Array, Number));
}
