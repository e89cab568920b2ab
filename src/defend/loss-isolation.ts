// Loss-based isolation, after the isolation step of Anti-Backdoor Learning (Li et al., NeurIPS
// 2021), a before-training filter.
//
// ABL trains an isolation model for a few epochs with local gradient ascent (LGA): the loss is
// replaced by sign(L − γ)·L, which holds the loss of clean samples near γ (0.5) instead of letting
// it fall, while backdoor samples, learned much faster through the trigger shortcut, fall below γ
// anyway. It then isolates the 1% of samples with the lowest loss.
// Availability poison is the opposite case: its labels (uniform soft targets, random labels, the
// boundary attack's flipped side) disagree with the image's content, so the model cannot fit it
// and it sits at the *high* end of the loss. So `side` picks the low tail (BadNets), the high tail
// (availability poison) or both; each tail flags `ratio`·N samples.
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import type { Objective } from '../train/index.js';
import { fit } from './fit.js';
import { perSampleLoss } from './features.js';
import { splitByFlag, type DataFilterOptions, type FilterResult, type TrainRecipe } from './types.js';
import type { DataDefense } from './engine.js';

export const LOSS_SIDES = ['low', 'high', 'both'] as const;
export type LossSide = (typeof LOSS_SIDES)[number];

export interface LossIsolationOptions extends DataFilterOptions {
  /** Share of the training set isolated in each tail. Default 0.01 (ABL's isolation ratio). */
  ratio?: number;
  /** Which tail holds the poison: low (backdoors), high (availability poison) or both. Default 'both'. */
  side?: LossSide;
  /** Precomputed per-sample losses; default: the model's cross-entropy on the set's own targets. */
  losses?: Float32Array;
}

export const LOSS_ISOLATION_DEFAULTS = { ratio: 0.01, side: 'both', gamma: 0.5, isolationEpochs: 2 } as const;

/** ABL's local gradient ascent: sign(L − γ)·L on the batch loss, so clean losses hover at γ. */
export function localGradientAscent(objective: Objective, gamma: number = LOSS_ISOLATION_DEFAULTS.gamma): Objective {
  if (!(gamma >= 0)) throw new RangeError(`loss isolation: gamma ${gamma} must be >= 0`);
  return {
    name: `${objective.name}+lga`,
    loss(model, batch, ctx) {
      const r = objective.loss(model, batch, ctx);
      const sign = r.loss.item() >= gamma ? 1 : -1;
      return { loss: r.loss.mul(sign), logits: r.logits };
    },
  };
}

/** Trains ABL's isolation model: the victim's recipe with LGA, for `epochs` epochs (default 2). */
export async function trainIsolationModel(data: Dataset, recipe: TrainRecipe, o: { gamma?: number; epochs?: number; seed?: number } = {}): Promise<Module> {
  const seed = o.seed ?? 0;
  const model = recipe.build(seed);
  await fit(model, data, { ...recipe, objective: localGradientAscent(recipe.objective, o.gamma), epochs: o.epochs ?? LOSS_ISOLATION_DEFAULTS.isolationEpochs, seed });
  return model;
}

/** Flags the `ratio`·N lowest- and/or highest-loss samples. */
export function lossIsolation(data: Dataset, model: Module, opts: LossIsolationOptions = {}): FilterResult {
  const ratio = opts.ratio ?? LOSS_ISOLATION_DEFAULTS.ratio;
  const side = opts.side ?? LOSS_ISOLATION_DEFAULTS.side;
  if (!(ratio > 0 && ratio < 0.5)) throw new RangeError(`loss isolation: ratio ${ratio} must be in (0, 0.5)`);
  if (!LOSS_SIDES.includes(side)) throw new RangeError(`loss isolation: side '${String(side)}' is unknown; use ${LOSS_SIDES.join(', ')}`);
  const losses = opts.losses ?? perSampleLoss(model, data);
  if (losses.length !== data.length) throw new RangeError(`loss isolation: ${losses.length} losses for ${data.length} samples`);
  const n = data.length;
  const m = Math.ceil(ratio * n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => losses[a] - losses[b] || a - b);
  const flag = new Uint8Array(n);
  if (side !== 'high') for (let j = 0; j < m; j++) flag[order[j]] = 1;
  if (side !== 'low') for (let j = n - m; j < n; j++) flag[order[j]] = 1;
  // score: distance from the median log-loss on the chosen side(s)
  const logs = Float64Array.from(losses, (l) => Math.log(Math.max(l, 1e-12)));
  const median = logs[order[Math.floor(n / 2)]];
  const scores = Float32Array.from(logs, (l) => (side === 'low' ? median - l : side === 'high' ? l - median : Math.abs(l - median)));
  return splitByFlag(flag, scores);
}

export interface LossIsolationEngineOptions {
  ratio: number;
  side: LossSide;
  gamma: number;
  isolationEpochs: number;
}

/** The catalog's loss-isolation: ABL's isolation model (the victim's recipe with local gradient ascent), then the loss tails. */
export const engine: DataDefense<LossIsolationEngineOptions> = {
  name: 'loss-isolation',
  stage: 'data',
  async filter(poisoned, _victim, o, ctx) {
    ctx.log(`loss-isolation: training the isolation model (${o.isolationEpochs} epochs, local gradient ascent at γ ${o.gamma})`);
    const iso = await trainIsolationModel(poisoned, ctx.recipe, { gamma: o.gamma, epochs: o.isolationEpochs, seed: ctx.seed });
    try {
      return { ...lossIsolation(poisoned, iso, { ratio: o.ratio, side: o.side }), detail: { ratio: o.ratio, side: o.side, gamma: o.gamma, isolationEpochs: o.isolationEpochs } };
    } finally {
      iso.dispose();
    }
  },
};
