// Bounds through ReLU, and ReLU's linear relaxation (CROWN, Zhang et al. 2018). On a neuron with
// input bounds l <= x <= u:
// - stable active (l >= 0): y = x; stable inactive (u <= 0): y = 0;
// - unstable (l < 0 < u): upper line through (l, 0) and (u, u): y <= u/(u-l)·(x - l);
//   lower line y >= a·x with a in [0, 1] chosen by `lowerSlope` (see LowerSlope).
// Both lines are valid for every x in [l, u], so the backward pass is sound for any a in [0, 1].
import { onesLike, where, zerosLike, type Tensor } from '../../tensor/index.js';
import type { ReLU } from '../../nn/index.js';
import type { BoundModule, LowerSlope } from './types.js';

export interface ReluRelaxation {
  /** Slope and intercept of the upper line, [B, ...]. */
  upperSlope: Tensor;
  upperIntercept: Tensor;
  /** Slope of the lower line (through the origin), [B, ...]. */
  lowerSlope: Tensor;
}

/** The linear relaxation of ReLU on the box [l, u] (elementwise). */
export function reluRelaxation(l: Tensor, u: Tensor, rule: LowerSlope): ReluRelaxation {
  const active = l.ge(0);
  const unstable = l.lt(0).logicalAnd(u.gt(0));
  // on unstable neurons u - l > 0; elsewhere the quotient is replaced, so guard the division
  const width = where(unstable, u.sub(l), u.sub(l).clamp(1, null));
  const s = u.div(width); // u/(u-l) on unstable neurons
  const one = active.to(l.dtype);
  const upperSlope = where(unstable, s, one);
  const upperIntercept = where(unstable, s.mul(l).neg(), zerosLike(l)); // -u·l/(u-l)
  let unstableLower: Tensor;
  switch (rule) {
    case 'adaptive':
      unstableLower = u.ge(l.neg()).to(l.dtype);
      break;
    case 'deeppoly':
      unstableLower = u.gt(l.neg()).to(l.dtype);
      break;
    case 'zero':
      unstableLower = zerosLike(l);
      break;
    case 'one':
      unstableLower = onesLike(l);
      break;
    case 'same-slope':
      unstableLower = s;
      break;
    default:
      throw new RangeError(`crown: lowerSlope '${String(rule)}' is not one of adaptive, deeppoly, zero, one, same-slope`);
  }
  const lowerSlope = where(unstable, unstableLower, one);
  return { upperSlope, upperIntercept, lowerSlope };
}

export const relu: BoundModule<ReLU> = {
  kind: 'ReLU',
  affine: false,
  interval(_layer, lo, hi) {
    return [lo.relu(), hi.relu()];
  },
  // A·y >= A⁺·(a·x) + A⁻·(s·x + t): positive coefficients take the lower line, negative the
  // upper one. Computed as A·a + A⁻·(s − a), and the constant A⁻·t as a matrix product.
  backward(_layer, A, ctx) {
    if (!ctx.lower || !ctx.upper) throw new Error('crown: ReLU needs the bounds of its input');
    const r = reluRelaxation(ctx.lower, ctx.upper, ctx.lowerSlope);
    const B = ctx.lower.shape[0];
    const [Ba, S] = A.shape;
    const neg = A.clamp(null, 0);
    const newA = A.mul(r.lowerSlope.unsqueeze(1)).add(neg.mul(r.upperSlope.sub(r.lowerSlope).unsqueeze(1)));
    const bias = neg.reshape([Ba, S, -1]).matmul(r.upperIntercept.reshape([B, -1, 1])).squeeze(2);
    return { A: newA, bias };
  },
  unstable(lower, upper) {
    return lower.lt(0).logicalAnd(upper.gt(0));
  },
};
