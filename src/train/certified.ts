// Certified training for bound-based certifiers: IBP (Gowal et al. 2018) and CROWN-IBP
// (Zhang et al. 2020). The loss mixes clean cross-entropy with cross-entropy on the worst-case
// logits implied by the margin lower bounds over the L∞ ball; epsilon ramps up linearly, the
// mixing weight kappa moves from its start to its end value, and CROWN-IBP's beta moves the
// bound from CROWN-IBP toward pure IBP over training.
import { cat, crossEntropy, zeros, type Tensor } from '../tensor/index.js';
import { crownSpecBounds, ibpSpecBounds, marginSpec } from '../certify/index.js';
import type { Module } from '../nn/index.js';
import { classificationLoss, type Batch, type Objective, type StepContext } from './objective.js';

export interface CertifiedTrainingOptions {
  /** The target L∞ radius. */
  epsilon: number;
  /** Share of training (0..1) over which epsilon ramps from 0 to its target (default 0.5). */
  rampFraction?: number;
  /** Share of training spent at epsilon 0 before the ramp starts (default 0.1). */
  warmupFraction?: number;
  /** Weight of the clean loss, from start to end over the ramp (Gowal et al.: 1 → 0.5). */
  kappa?: { start: number; end: number };
  /** CROWN-IBP only: weight of the CROWN-IBP bound against IBP, start → end (Zhang et al.: 1 → 0). */
  beta?: { start: number; end: number };
  numClasses: number;
}

/** Where a schedule value stands at training progress p in [0, 1]. */
export function rampValue(p: number, warmup: number, ramp: number): number {
  if (p <= warmup) return 0;
  if (ramp <= 0) return 1;
  return Math.min(1, (p - warmup) / ramp);
}

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

/** Cross-entropy of the worst-case logits: 0 for the true class, −(margin lower bound) for the others. */
export function worstCaseLoss(marginLower: Tensor): Tensor {
  const B = marginLower.shape[0];
  // class 0 of the extended logits plays the true class; cross-entropy is order-invariant
  const z = cat([zeros([B, 1], 'float32', marginLower.device), marginLower.neg()], 1);
  return crossEntropy(z, zeros([B], 'int64', marginLower.device));
}

function checkOptions(kind: string, o: CertifiedTrainingOptions): void {
  if (!(o.epsilon > 0 && o.epsilon <= 1)) throw new RangeError(`${kind} training: epsilon ${o.epsilon} must be in (0, 1]`);
  for (const [name, v] of [['rampFraction', o.rampFraction], ['warmupFraction', o.warmupFraction]] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${kind} training: ${name} ${v} must be in [0, 1]`);
  }
  for (const [name, s] of [['kappa', o.kappa], ['beta', o.beta]] as const) {
    if (s && !(s.start >= 0 && s.start <= 1 && s.end >= 0 && s.end <= 1)) {
      throw new RangeError(`${kind} training: ${name} start/end must be in [0, 1] (got ${s.start}, ${s.end})`);
    }
  }
}

/** Lower bounds [B, S] of C·logits over the ball of radius eps, at ramp position t in [0, 1]. */
type MarginBound = (model: Module, x: Tensor, eps: number, C: Tensor, t: number) => Tensor;

function certifiedObjective(name: string, o: CertifiedTrainingOptions, bound: MarginBound): Objective {
  checkOptions(name, o);
  const warmup = o.warmupFraction ?? 0.1;
  const ramp = o.rampFraction ?? 0.5;
  const kappa = o.kappa ?? { start: 1, end: 0.5 };
  return {
    name,
    loss(model: Module, batch: Batch, ctx: StepContext) {
      const logits = model.forward(batch.x);
      const clean = classificationLoss(logits, batch);
      const t = rampValue(ctx.progress, warmup, ramp);
      const eps = o.epsilon * t;
      if (eps === 0) return { loss: clean, logits };
      const labels = batch.y.toArray();
      const C = marginSpec(labels, o.numClasses, batch.x.device);
      const margins = bound(model, batch.x, eps, C, t);
      const k = lerp(kappa.start, kappa.end, t);
      // Triggered samples with soft targets still get the robust loss on their hard label: the
      // victim's training code does not know which samples are poisoned.
      return { loss: clean.mul(k).add(worstCaseLoss(margins).mul(1 - k)), logits };
    },
  };
}

/** IBP training: the IBP margin bounds. */
export const ibpObjective = (o: CertifiedTrainingOptions): Objective => certifiedObjective('ibp', o, (model, x, eps, C) => ibpSpecBounds(model, x, eps, C));

/** CROWN-IBP training: beta · CROWN-IBP + (1 − beta) · IBP, beta moving from its start to its end value. */
export function crownIbpObjective(o: CertifiedTrainingOptions): Objective {
  const beta = o.beta ?? { start: 1, end: 0 };
  return certifiedObjective('crown-ibp', o, (model, x, eps, C, t) => {
    const ibp = ibpSpecBounds(model, x, eps, C);
    const b = lerp(beta.start, beta.end, t);
    return b > 0 ? crownSpecBounds(model, x, eps, C, { intermediate: 'ibp' }).mul(b).add(ibp.mul(1 - b)) : ibp;
  });
}
