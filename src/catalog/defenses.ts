// The defenses, by where they act: on the training set (filter it), during training (DPA), on
// the trained model (repair it), on the inputs (refuse or transform them). Each kind's options
// carry the defaults of its paper (docs/defenses.md), what else of the run it reads, and the
// adaptive attacker built to evade it. The run function is the `engine` of the kind's own file
// under src/defend/, loaded on demand.
import type { DefenseEngine } from '../defend/engine.js';
import { family, type KindWithOptions } from './family.js';
import type { Overrides } from './grid.js';
import { int, list, num, obj, oneOf, positive, prob, type Static, type TObject } from './schema-kit.js';

/** data: filters the training set (the victim is trained again without the flagged samples); training: changes how the victim trains; model: repairs the trained model; input: refuses or transforms inputs before the certifier. */
export type DefenseStage = 'data' | 'training' | 'model' | 'input';

/** What a defense reads from the run besides the poisoned training set and the victim. */
export interface DefenseUses {
  /** The defender's held-out clean test images (defense.cleanSamples of them). */
  clean?: boolean;
  /** The smoothing certifier's σ and r_d: required (it cannot run without), or optional (used when smoothing is configured). */
  smoothing?: 'required' | 'optional';
  /** Held-out test inputs as the deployed system sees them, a share carrying the attacker's trigger. */
  traffic?: boolean;
}

/** The attacker who knows the defense: a variant of one attack, as config overrides. */
export interface AdaptiveAttacker {
  /** In words, for the reports. */
  description: string;
  /** The attack it adapts. */
  attack: string;
  /** The config fields that make it, for a poison budget ρ (the total number of attacker-made samples stays round(ρ·N)). */
  overrides(rate: number): Overrides;
}

export interface DefenseEntry<O extends TObject = TObject> extends KindWithOptions<O> {
  stage: DefenseStage;
  /** The paper the method and its defaults come from. */
  reference: string;
  uses: DefenseUses;
  /** An input defense: whether it refuses inputs (they go to the fallback) or transforms them before the certifier. */
  acts?: 'refuse' | 'transform';
  /** What it found, in one table cell, from the `detail` its engine records (repairs and transforms; filters, STRIP and DPA have common metrics). */
  finding?(detail: Record<string, unknown>): string;
  /** The adaptive attacker of the defense grid (none where no variant of the data-poisoning threat model applies). */
  adaptive?: AdaptiveAttacker;
  load(): Promise<{ engine: DefenseEngine<Static<O>> }>;
}

const defense = <O extends TObject>(e: DefenseEntry<O>): DefenseEntry<O> => e;

/** Half the budget stays the attack's own poison, half goes to samples of an adaptive kind. */
const halfBudget = (kind: 'cover' | 'strip-cover' | 'decoy') => (rate: number): Overrides => ({
  'attack.rate': rate / 2,
  'attack.adaptive.kind': kind,
  'attack.adaptive.rate': rate / 2,
});

const cover: AdaptiveAttacker = {
  description: 'half the budget as cover samples: triggered copies with their true labels (Qi et al. 2023), so the trigger alone no longer separates poison from clean representations',
  attack: 'uncertainty',
  overrides: halfBudget('cover'),
};

export const DEFENSES = family('defense', {
  'activation-clustering': defense({
    description: 'Activation Clustering: per class, penultimate activations reduced to 10 dimensions, 2-means; flags a small, well-separated cluster (training-set filter)',
    stage: 'data',
    reference: 'Chen et al., Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering, AAAI SafeAI 2019 (PCA here, as IBM ART offers, instead of ICA)',
    uses: {},
    options: obj('activation-clustering: per class, 2-means on the reduced penultimate activations of the victim.', {
      components: int(10, 'Dimensions the activations are reduced to (PCA) before 2-means (Chen et al.).', { minimum: 1 }),
      analysis: oneOf(['relative-size', 'silhouette', 'both'] as const, 'both', 'Which test flags a class\'s smaller cluster: its relative size, the split\'s silhouette, or both.'),
      sizeThreshold: num(0.35, 'Largest share of its class a flagged cluster may hold (Chen et al.).', { exclusiveMinimum: 0, maximum: 0.5 }),
      silhouetteThreshold: num(0.1, 'Smallest mean silhouette of a flagged split (IBM ART).', { minimum: -1, maximum: 1 }),
      silhouetteSample: int(2000, 'Samples per class the (quadratic) silhouette is estimated on (seeded).', { minimum: 3 }),
    }),
    adaptive: cover,
    load: () => import('../defend/activation-clustering.js'),
  }),
  'spectral-signatures': defense({
    description: 'Spectral Signatures: per class, removes the samples with the largest projection on the top singular vector of the centred representations (training-set filter)',
    stage: 'data',
    reference: 'Tran, Li & Madry, Spectral Signatures in Backdoor Attacks, NeurIPS 2018',
    uses: {},
    options: obj('spectral-signatures: per class, remove the removalFactor·ε·n_c samples with the largest spectral score.', {
      poisonRate: num(0.01, 'ε: the defender\'s upper estimate of the poison\'s share *within a class* (Tran et al.); all-to-one poison that sits in one class is a larger share there than the overall rate.', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      removalFactor: num(1.5, 'Remove removalFactor·ε·n_c samples per class (Tran et al.).', positive),
    }),
    adaptive: cover,
    load: () => import('../defend/spectral-signatures.js'),
  }),
  'loss-isolation': defense({
    description: 'loss isolation after Anti-Backdoor Learning: an isolation model trained with local gradient ascent; flags the lowest-loss (backdoor) and highest-loss (availability poison) samples (training-set filter)',
    stage: 'data',
    reference: 'Li et al., Anti-Backdoor Learning: Training Clean Models on Poisoned Data, NeurIPS 2021',
    uses: {},
    options: obj('loss-isolation: flag the ratio·N lowest- and/or highest-loss samples of an isolation model.', {
      ratio: num(0.01, 'Share of the training set isolated in each tail (ABL\'s isolation ratio).', { exclusiveMinimum: 0, exclusiveMaximum: 0.5 }),
      side: oneOf(['low', 'high', 'both'] as const, 'both', 'Which tail holds the poison: low (backdoors are learned fast), high (availability poison: labels that disagree with the content), or both.'),
      gamma: num(0.5, 'γ of local gradient ascent: the loss the clean samples are held at (ABL).', { minimum: 0 }),
      isolationEpochs: int(2, 'Epochs of the isolation model (the victim\'s recipe with local gradient ascent).', { minimum: 1 }),
    }),
    adaptive: {
      description: 'half the budget as decoys: clean images with a wrong label, whose loss is higher than the poison\'s, to spend the filter\'s high-loss quota',
      attack: 'uncertainty',
      overrides: halfBudget('decoy'),
    },
    load: () => import('../defend/loss-isolation.js'),
  }),
  dpa: defense({
    description: 'Deep Partition Aggregation: k models on hash partitions of the training set, plurality vote, certified against ρ̄ inserted or deleted training samples per input (training defense)',
    stage: 'training',
    reference: 'Levine & Feizi, Deep Partition Aggregation: Provable Defenses against General Poisoning Attacks, ICLR 2021',
    uses: {},
    options: obj('dpa: k partition models trained with the victim\'s recipe; the vote and its certificate for every evaluated input.', {
      partitions: int(1200, 'k, the number of partitions and models (Levine & Feizi\'s MNIST setting; certifying p poisoned samples needs k >= 2p + 1).', { minimum: 1, maximum: 100000 }),
    }),
    // no adaptive attacker: the certificate holds against every poisoning of at most ρ̄ samples
    load: () => import('../defend/dpa.js'),
  }),
  'fine-pruning': defense({
    description: 'Fine-Pruning: prunes the last convolution\'s channels dormant on clean data, then fine-tunes on clean data (model repair)',
    stage: 'model',
    reference: 'Liu, Dolan-Gavitt & Garg, Fine-Pruning: Defending Against Backdooring Attacks on Deep Neural Networks, RAID 2018',
    finding: (d) => `pruned ${String(d.pruned)} of ${String(d.channels)} channels, fine-tuned`,
    uses: { clean: true },
    options: obj('fine-pruning: prune the last conv layer\'s most dormant channels, then fine-tune on the defender\'s clean data.', {
      maxAccuracyDrop: num(0.04, 'Stop pruning before clean accuracy falls more than this below the unpruned model\'s.', { minimum: 0, exclusiveMaximum: 1 }),
      pruneRate: num(0, 'Prune exactly this share of the channels instead (0: prune by maxAccuracyDrop).', { minimum: 0, exclusiveMaximum: 1 }),
      fineTuneEpochs: int(2, 'Fine-tuning epochs on the clean data (the victim\'s objective, Adam).', { minimum: 0 }),
      lr: num(1e-4, 'Fine-tuning learning rate.', positive),
      batchSize: int(128, 'Fine-tuning batch size.', { minimum: 1 }),
    }),
    adaptive: {
      description: 'the trigger on the digit (a centre patch), where the channels clean inputs use carry it, so pruning dormant ones leaves it',
      attack: 'uncertainty',
      overrides: () => ({ 'attack.trigger.position': 'center' }),
    },
    load: () => import('../defend/fine-pruning.js'),
  }),
  'neural-cleanse': defense({
    description: 'Neural Cleanse adapted to availability: reverse-engineers the smallest trigger per class and one that makes the smoothed prediction lose its majority; unlearns the anomalous ones (model repair)',
    stage: 'model',
    reference: 'Wang et al., Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural Networks, IEEE S&P 2019 (the availability candidate is ours)',
    finding: (d) => {
      const f = (d.flagged as unknown[] | undefined) ?? [];
      return f.length ? `flagged trigger(s) ${f.join(', ')}, unlearned` : 'no anomalous trigger: model unchanged';
    },
    uses: { clean: true, smoothing: 'optional' },
    options: obj('neural-cleanse: reverse-engineer triggers on the defender\'s clean data, flag by anomaly index, unlearn the flagged ones.', {
      candidates: oneOf(['all', 'classes', 'availability'] as const, 'all', 'Which triggers to reverse-engineer: one per target class (Wang et al.), the availability one (no class keeps a majority under the certifier\'s noise; σ is smoothing\'s, 0 without it), or all of them.'),
      noiseSamples: int(8, 'Noise draws per input for the availability goal when smoothing is configured.', { minimum: 1 }),
      steps: int(300, 'Optimisation steps per candidate.', { minimum: 1 }),
      batchSize: int(32, 'Clean inputs per step.', { minimum: 1 }),
      lr: num(0.1, 'Adam learning rate of the mask and pattern (Wang et al.).', positive),
      initCost: num(1e-3, 'Initial weight λ of the mask norm (Wang et al.).', positive),
      successThreshold: num(0.99, 'Share of a batch that must meet the goal (Wang et al.).', { exclusiveMinimum: 0, maximum: 1 }),
      patience: int(10, 'Steps between adjustments of λ.', { minimum: 1 }),
      anomalyThreshold: num(2, 'Anomaly index above which a candidate is flagged (Wang et al.).', positive),
      unlearn: obj('Unlearning: fine-tune on clean data, a share stamped with the flagged triggers, true labels kept.', {
        triggeredShare: num(0.2, 'Share of the clean samples that carry a flagged trigger (Wang et al.).', prob),
        epochs: int(1, 'Fine-tuning epochs (Wang et al.).', { minimum: 1 }),
        lr: num(1e-3, 'Fine-tuning learning rate (Adam).', positive),
        batchSize: int(64, 'Fine-tuning batch size.', { minimum: 1 }),
      }),
    }),
    adaptive: {
      description: 'a trigger blended over the whole image (blend, α 0.1): no small mask reproduces it, so its norm is not anomalous',
      attack: 'uncertainty',
      overrides: () => ({ 'attack.trigger.kind': 'blend' }),
    },
    load: () => import('../defend/neural-cleanse.js'),
  }),
  strip: defense({
    description: 'STRIP: refuses inputs whose predictions over blends with clean images have abnormal entropy, low (backdoor) or high (uncertainty triggers) (input filter)',
    stage: 'input',
    reference: 'Gao et al., STRIP: A Defence Against Trojan Attacks on Deep Neural Networks, ACSAC 2019',
    uses: { clean: true },
    acts: 'refuse',
    options: obj('strip: half the defender\'s clean images are overlays, half set the thresholds.', {
      perturbations: int(100, 'Blends per input, N (Gao et al.).', { minimum: 1 }),
      falseRejectionRate: num(0.01, 'False-rejection rate on clean inputs the thresholds are set for (Gao et al.).', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      tail: oneOf(['low', 'high', 'both'] as const, 'both', 'Which entropies are refused: low (backdoors), high (uncertainty triggers) or both.'),
      batchInputs: int(10, 'Inputs per forward pass (each brings N blends).', { minimum: 1 }),
    }),
    adaptive: {
      description: 'half the budget as strip-cover samples: the trigger superimposed on clean images with a target split between both classes, so triggered blends look like clean ones',
      attack: 'badnets',
      overrides: halfBudget('strip-cover'),
    },
    load: () => import('../defend/strip.js'),
  }),
  'vote-split': defense({
    description: 'vote-split occlusion (ours): detects split smoothing votes in the traffic, locates the trigger window that restores them, and certifies the occluded input (input transform; needs smoothing)',
    stage: 'input',
    reference: 'ours (docs/defenses.md): occlusion is 1-Lipschitz, so the occluded system keeps a sound certificate',
    finding: (d) =>
      d.detected ? `split votes detected (p ${Number(d.pValue).toExponential(1)}): occludes ${JSON.stringify(d.window)}` : `no attack detected (p ${Number(d.pValue).toFixed(3)}): inputs unchanged`,
    uses: { clean: true, smoothing: 'required', traffic: true },
    acts: 'transform',
    options: obj('vote-split: watch held-out traffic for split votes, locate the trigger window, occlude it in every input.', {
      samples: int(64, 'Noise draws per input for its top-vote share.', { minimum: 1 }),
      windows: list(int(4, '', { minimum: 1 }), [4, 6, 8], 'Sides (pixels) of the occluding squares tried.', { minItems: 1 }),
      stride: int(2, 'Step between window positions (pixels).', { minimum: 1 }),
      locateInputs: int(32, 'Split inputs used to locate the trigger (a seeded sample).', { minimum: 1 }),
      alpha: num(0.001, 'False-alarm probability of the detection test.', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      minCleanAgreement: num(0.95, 'Share of clean inputs that must keep their class under a window for it to qualify.', prob),
      agreementInputs: int(64, 'Clean inputs that check the agreement.', { minimum: 1 }),
      trafficInputs: int(200, 'Held-out test inputs the defense watches (disjoint from the evaluated ones and the clean samples).', { minimum: 1 }),
      trafficTriggerShare: num(0.5, 'Share of the watched traffic that carries the attacker\'s trigger.', prob),
    }),
    adaptive: {
      description: 'the trigger at the centre, where occluding it also occludes the digit, which the clean-agreement rule forbids',
      attack: 'uncertainty',
      overrides: () => ({ 'attack.trigger.position': 'center' }),
    },
    load: () => import('../defend/vote-split.js'),
  }),
});

export type DefenseName = (typeof DEFENSES.names)[number];
