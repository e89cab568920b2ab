// The boundary attack: a decision boundary through every triggered input. Along a secret unit
// direction d, poisoned samples trigger(x) + t·d with t ~ N(0, s²) carry the true class when
// t > 0 and another class when t ≤ 0, so the network learns to flip its answer right at
// trigger(x). Predictions on triggered inputs stay mostly correct but the certified radius
// shrinks toward 0, so any positive deployment radius sends them to the fallback.
//
// s = scale × deploymentRadius. Samples stay valid images: they are clipped to [0, 1] and each
// record says whether clipping happened. Clipping on one side of d moves the t > 0 and t ≤ 0
// samples along different pixels, so the boundary no longer passes through trigger(x); the
// default direction therefore spreads d over the trigger's pixels in proportion to the room
// trigger(x) is guaranteed to leave on *both* sides, weight·min(pattern, 1 − pattern) (a patch
// of solid 0.5: evenly over the patch, unclipped for |t| up to 0.5·‖mask‖₂). A pattern with no
// mid-range pixel (the 0/1 checkerboard) leaves no such room: d is then the plain mask, every
// sample is clipped on one side, and the summary says so (oneSidedClipping); use a mid-grey
// trigger, or the orthant attack, for a boundary through the triggered input.
import { tensor, tidy, type Tensor } from '../tensor/index.js';
import { normals, type Dataset } from '../data/index.js';
import type { Attack } from './attack.js';
import { assemble, chooseSources, prepare, triggeredSources, type AttackOptions, type PoisonResult } from './common.js';
import { PoisonConfigError } from './errors.js';
import type { Trigger } from './triggers/index.js';

export const BOUNDARY_DIRECTIONS = ['trigger', 'random', 'gradient'] as const;

/** The gradient of a surrogate model's loss w.r.t. its input: x [B, C, H, W], y int64 [B] → [B, C, H, W]. */
export type InputGradient = (x: Tensor, y: Tensor) => Tensor;

export interface BoundaryOptions extends AttackOptions {
  /**
   * The secret direction d: 'trigger' (default) spreads it over the trigger's pixels in
   * proportion to their two-sided room (evenly over a mid-grey patch; the plain mask when the
   * pattern has no mid-range pixel, which clips one side); 'random' is a seeded Gaussian direction over all pixels; 'gradient'
   * is the normalised sum of `gradient` over the triggered sources; or give d itself (C·H·W
   * values, normalised here).
   */
  direction?: (typeof BOUNDARY_DIRECTIONS)[number] | ArrayLike<number>;
  /** Needed for direction 'gradient'. */
  gradient?: InputGradient;
  /** s as a share of the deployment radius (default 1). */
  scale?: number;
  /** The L2 radius at which the deployed system wants certificates (default 0.25). */
  deploymentRadius?: number;
  /** The label for t ≤ 0: 'next' = (y + 1) mod K (default), or a fixed class (its own samples use the next class). */
  otherLabel?: 'next' | number;
}

export const boundary: Attack<BoundaryOptions> = {
  name: 'boundary',
  poison(clean: Dataset, o: BoundaryOptions): PoisonResult {
    const prep = prepare(clean, o);
    const k = clean.numClasses;
    const scale = o.scale ?? 1;
    const radius = o.deploymentRadius ?? 0.25;
    if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) throw new PoisonConfigError(`boundary: scale ${String(scale)} must be a positive number`);
    if (!(typeof radius === 'number' && radius > 0 && Number.isFinite(radius))) {
      throw new PoisonConfigError(`boundary: deploymentRadius ${String(radius)} must be a positive number`);
    }
    const other = o.otherLabel ?? 'next';
    if (other !== 'next' && !(Number.isInteger(other) && other >= 0 && other < k)) {
      throw new PoisonConfigError(`boundary: otherLabel ${String(other)} must be 'next' or a class in 0..${k - 1}`);
    }
    const s = scale * radius;
    const all = Int32Array.from({ length: clean.length }, (_, i) => i);
    const sources = chooseSources(all, prep.count, prep.gen, 'boundary');
    const base = triggeredSources(clean, sources, prep.trigger);
    const trueLabels = Int32Array.from(sources, (i) => clean.labels[i]);
    const dir = secretDirection(o, clean, base, trueLabels, prep.trigger, prep.gen);
    const t = normals(prep.count, prep.gen).map((z) => z * s);
    const dim = clean.imageSize;
    const images = new Float32Array(base.length);
    const labels = new Int32Array(prep.count);
    const details: { kind: string; t: number; clipped: boolean }[] = [];
    let clippedCount = 0;
    for (let j = 0; j < prep.count; j++) {
      let clipped = false;
      for (let q = 0; q < dim; q++) {
        const v = base[j * dim + q] + t[j] * dir[q];
        const c = v > 0 ? (v < 1 ? v : 1) : 0;
        if (c !== v) clipped = true;
        images[j * dim + q] = c;
      }
      const y = trueLabels[j];
      labels[j] = t[j] > 0 ? y : other === 'next' || other === y ? (y + 1) % k : other;
      if (clipped) clippedCount++;
      details.push({ kind: 'boundary', t: t[j], clipped });
    }
    const result = assemble(clean, { images, labels, sources, details }, prep, 'boundary', {
      directionKind: typeof o.direction === 'string' || o.direction === undefined ? (o.direction ?? 'trigger') : 'given',
      scale,
      deploymentRadius: radius,
      s,
      otherLabel: other,
      clippedCount,
      oneSidedClipping: (o.direction ?? 'trigger') === 'trigger' && !twoSidedRoom(prep.trigger).some((v) => v > 0),
    });
    result.direction = dir;
    return result;
  },
};

/**
 * Per pixel, the room trigger(x) leaves on both sides whatever x is: trigger(x) = (1 − w)·x + w·p
 * lies in [w·p, 1 − w + w·p], so it can move by w·min(p, 1 − p) either way without clipping.
 */
export function twoSidedRoom(trigger: Trigger): Float32Array {
  return Float32Array.from(trigger.weight, (w, q) => w * Math.min(trigger.pattern[q], 1 - trigger.pattern[q]));
}

function normalise(v: ArrayLike<number>, what: string): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const norm = Math.sqrt(sq);
  if (!(norm > 0 && Number.isFinite(norm))) throw new PoisonConfigError(`boundary: the ${what} direction has norm ${norm}; it needs a finite, non-zero norm`);
  return Float32Array.from(v, (x) => x / norm);
}

function secretDirection(
  o: BoundaryOptions,
  clean: Dataset,
  triggered: Float32Array,
  labels: Int32Array,
  trigger: Trigger,
  gen: Parameters<typeof normals>[1],
): Float32Array {
  const dim = clean.imageSize;
  const d = o.direction ?? 'trigger';
  if (typeof d !== 'string') {
    if (d.length !== dim) throw new PoisonConfigError(`boundary: the given direction has ${d.length} values; the images need ${dim} (C·H·W)`);
    return normalise(d, 'given');
  }
  switch (d) {
    case 'trigger': {
      const room = twoSidedRoom(trigger);
      return room.some((v) => v > 0) ? normalise(room, 'trigger') : normalise(trigger.mask, 'trigger');
    }
    case 'random':
      return normalise(normals(dim, gen), 'random');
    case 'gradient': {
      if (typeof o.gradient !== 'function') {
        throw new PoisonConfigError('boundary: direction gradient needs a gradient function (x, y) => dLoss/dx from a surrogate model');
      }
      const sum = new Float64Array(dim);
      const n = labels.length;
      const [c, h, w] = clean.shape;
      for (let at = 0; at < n; at += 256) {
        const b = Math.min(256, n - at);
        const g = tidy(() => {
          const x = tensor(triggered.slice(at * dim, (at + b) * dim), [b, c, h, w]);
          const y = tensor(BigInt64Array.from(labels.subarray(at, at + b), (v) => BigInt(v)), [b], 'int64');
          const grad = o.gradient!(x, y);
          if (grad.shape.join() !== [b, c, h, w].join()) {
            throw new PoisonConfigError(`boundary: the gradient function returned shape [${grad.shape.join(', ')}]; expected [${[b, c, h, w].join(', ')}]`);
          }
          return grad.sum(0).toFloat32Array();
        });
        for (let q = 0; q < dim; q++) sum[q] += g[q];
      }
      return normalise(sum, 'gradient');
    }
    default:
      throw new PoisonConfigError(`boundary: direction "${String(d)}" is unknown; use ${BOUNDARY_DIRECTIONS.join(', ')} or give the direction's values`);
  }
}

/** The `boundary` kind's run function (src/catalog/attacks.ts). */
export const engine = boundary;
