// A small generated data set for tests and quick runs: each class is a blob at its own place on
// a circle plus a stroke at its own angle, jittered per sample over faint noise. Learnable in a
// few epochs by a small network, and identical for the same seed.
import { Generator } from '../tensor/index.js';
import { Dataset, type ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import { permutation, uniforms } from './random.js';

export interface SyntheticOptions {
  n: number;
  shape?: ImageShape;
  numClasses?: number;
  seed?: number;
  name?: string;
}

/** At most this many pixel values (1 GiB of float32) in a generated set. */
export const SYNTHETIC_MAX_VALUES = 2 ** 28;

export function makeSynthetic(o: SyntheticOptions): Dataset {
  const [c, h, w] = o.shape ?? [1, 28, 28];
  const k = o.numClasses ?? 10;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(o.n) || o.n < 1) throw new DataError(`synthetic: n must be a positive integer, got ${o.n}`);
  // Generated in memory (4 bytes a pixel): a typo'd limit must not take all of it.
  if (o.n * c * h * w > SYNTHETIC_MAX_VALUES) {
    throw new DataError(`synthetic: ${o.n} images of [${c}, ${h}, ${w}] would take ${((o.n * c * h * w * 4) / 2 ** 30).toFixed(1)} GiB; generate at most ${Math.floor(SYNTHETIC_MAX_VALUES / (c * h * w))} (lower data.trainLimit or data.testLimit)`);
  }
  if (!Number.isInteger(k) || k < 2) throw new DataError(`synthetic: numClasses must be an integer >= 2, got ${k}`);
  if (![c, h, w].every((v) => Number.isInteger(v) && v > 0) || h < 8 || w < 8) {
    throw new DataError(`synthetic: shape [${c}, ${h}, ${w}] must be positive integers with height and width >= 8`);
  }
  const gen = new Generator(seed);
  const n = o.n;
  const d = c * h * w;
  // Balanced labels in a seeded order.
  const order = permutation(n, gen);
  const labels = Int32Array.from(order, (i) => i % k);
  const params = uniforms(n * (3 + c), gen);
  const noise = uniforms(n * d, gen);
  const images = new Float32Array(n * d);
  const m = Math.min(h, w);
  const sigma2 = 2 * (0.08 * m) ** 2;
  const halfLen = 0.3 * m;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const p = params.subarray(i * (3 + c), (i + 1) * (3 + c));
    const cx = (w - 1) / 2 + (p[0] - 0.5) * 0.16 * w;
    const cy = (h - 1) / 2 + (p[1] - 0.5) * 0.16 * h;
    const amp = 0.6 + 0.4 * p[2];
    const blobAngle = (2 * Math.PI * y) / k;
    const bx = cx + 0.28 * m * Math.cos(blobAngle);
    const by = cy + 0.28 * m * Math.sin(blobAngle);
    const sa = (Math.PI * y) / k;
    const [ux, uy] = [Math.cos(sa), Math.sin(sa)];
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const blob = Math.exp(-((q - bx) ** 2 + (r - by) ** 2) / sigma2);
        // Distance to the stroke: a segment through the centre along (ux, uy).
        const along = (q - cx) * ux + (r - cy) * uy;
        const across = Math.abs(-(q - cx) * uy + (r - cy) * ux);
        const stroke = Math.abs(along) <= halfLen ? Math.max(0, 1 - Math.max(0, across - 0.5)) : 0;
        const v = amp * Math.max(blob, stroke);
        for (let ch = 0; ch < c; ch++) {
          const tint = c === 1 ? 1 : 0.7 + 0.3 * p[3 + ch];
          const j = i * d + ch * h * w + r * w + q;
          images[j] = Math.min(1, v * tint + 0.1 * noise[j]);
        }
      }
    }
  }
  return new Dataset({
    name: o.name ?? 'synthetic',
    images,
    labels,
    shape: [c, h, w],
    classNames: Array.from({ length: k }, (_, i) => `class ${i}`),
  });
}
