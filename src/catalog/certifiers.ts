// The certifiers: what each one guarantees, its options, the radii of its curve, what
// "certified at the deployment radius" means for it, and its settings in the reproduce grid.
// The run function lives in the kind's own file under src/certify/ (its `engine`), loaded on
// demand so that this catalog, and config validation, never need the native addon.
import type { CertifierEngine } from '../certify/engine.js';
import { family, type KindWithOptions } from './family.js';
import { int, list, num, obj, oneOf, positive, type Static, type TObject } from './schema-kit.js';
import type { GridSetting } from './grid.js';

/** A certifier's axis in the reproduce grid. */
export interface CertifierGrid {
  parameter: 'sigma' | 'epsilon';
  values: number[];
  /** The column for one value: how the victim trains and what certifies it. */
  setting(value: number): GridSetting;
}

/** The `eval` fields a certifier's radii depend on. */
export interface EvalRadii {
  radii: number[];
  deploymentRadius: number;
}

export interface CertifierEntry<O extends TObject = TObject> extends KindWithOptions<O> {
  norm: 'l2' | 'linf';
  /** In words, for --explain, docs and reports. */
  guarantee: string;
  /** What "certified at the deployment radius r_d" means for this certifier, in words. */
  certifiedAt: string;
  /** r_d of the deployed system built on this certifier. */
  deploymentRadius(options: Static<O>, evalCfg: EvalRadii): number;
  /** Radii of its certified-accuracy curve (r_d among them). */
  curveRadii(options: Static<O>, evalCfg: EvalRadii): number[];
  /** Inputs certified between two saves of a resumable certification. */
  chunk: number;
  /** Its columns in `abstain reproduce`: one per value of its grid parameter (--sigmas, --epsilons pick other values). */
  grid: CertifierGrid;
  /** Whether the scales include it unasked (--certifiers picks any). */
  inDefaultGrid: boolean;
  load(): Promise<{ engine: CertifierEngine<Static<O>> }>;
}

const certifier = <O extends TObject>(e: CertifierEntry<O>): CertifierEntry<O> => e;
const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

const epsilon = (what: string) => num(0.1, `L-infinity radius to ${what}; it is also the deployment radius of the system.`, { ...positive, maximum: 1, alias: 'epsilon' });
const boundBatch = (def: number) => int(def, 'Inputs per bound computation (memory grows with it).', { minimum: 1, maximum: 4096 });

/** The bound-based certifiers share their meaning of r_d: the verified epsilon. */
const boundRadii = {
  norm: 'linf' as const,
  certifiedAt: 'the prediction is verified on the whole L-infinity ball of radius epsilon (∩ [0, 1]) and equals the label; r_d is epsilon',
  deploymentRadius: (o: { epsilon: number }) => o.epsilon,
  curveRadii: (o: { epsilon: number }) => [0, o.epsilon],
  chunk: 200,
};

/**
 * Reproduce columns of a bound-based certifier: a victim trained with `objective` at epsilon
 * (certified training costs far more per sample, so the small scale trains on fewer images).
 */
const boundGrid = (kind: string, objective: string, smallTrainLimit: number): CertifierGrid => ({
  parameter: 'epsilon',
  values: [0.1],
  setting: (eps) => ({
    id: `${kind}-${eps}`,
    label: `${kind} ε=${eps} (${objective} training)`,
    overrides: { 'train.objective': objective, [`train.${objective}.epsilon`]: eps, 'certify.kinds': [kind], [`certify.${kind}.epsilon`]: eps },
    sizes: { small: { 'data.trainLimit': smallTrainLimit } },
  }),
});

export const CERTIFIERS = family('certifier', {
  smoothing: certifier({
    description: 'randomized smoothing (Cohen, Rosenfeld & Kolter 2019): CERTIFY with a Clopper-Pearson bound; L2',
    guarantee: 'with probability at least 1 - alpha per input, the smoothed classifier returns the certified class everywhere in the L2 ball of the radius',
    certifiedAt: 'the smoothed classifier answers the true label with radius sigma * Phi^-1(pA_lower) >= r_d',
    norm: 'l2',
    options: obj('Randomized smoothing (Cohen et al. 2019), L2.', {
      sigma: num(0.25, 'Noise standard deviation of the smoothed classifier.', { ...positive, alias: 'sigma' }),
      n0: int(100, 'Selection samples (guess the top class).', { minimum: 1, alias: 'n0' }),
      n: int(100000, 'Estimation samples (bound pA); the demo lowers it.', { minimum: 1, alias: 'n' }),
      alpha: num(0.001, 'Failure probability of the certificate.', { exclusiveMinimum: 0, exclusiveMaximum: 1, alias: 'alpha' }),
      batchSize: int(1000, 'Noisy samples per forward pass; larger batches are split to stay within 4 GiB of working memory (with a line saying so).', { minimum: 1 }),
    }),
    deploymentRadius: (_o, e) => e.deploymentRadius,
    curveRadii: (_o, e) => sorted([...e.radii, e.deploymentRadius]),
    chunk: 50,
    grid: {
      parameter: 'sigma',
      values: [0.12, 0.25, 0.5],
      // each smoothing column has its own victim, trained with Gaussian noise of the same sigma
      setting: (sigma) => ({
        id: `smoothing-${sigma}`,
        label: `smoothing σ=${sigma}`,
        overrides: { 'train.objective': 'gaussian', 'train.gaussian.sigma': sigma, 'certify.kinds': ['smoothing'], 'certify.smoothing.sigma': sigma },
      }),
    },
    inDefaultGrid: true,
    load: () => import('../certify/smoothing.js'),
  }),
  ibp: certifier({
    description: 'interval bound propagation (Gowal et al. 2018); L-infinity, deterministic',
    guarantee: 'deterministic: every input in the L-infinity ball gets the certified class (up to float32 rounding)',
    ...boundRadii,
    options: obj('Interval bound propagation, L-infinity.', {
      epsilon: epsilon('verify'),
      batchSize: boundBatch(256),
    }),
    grid: boundGrid('ibp', 'ibp', 20000),
    inDefaultGrid: true,
    load: () => import('../certify/ibp.js'),
  }),
  crown: certifier({
    description: 'CROWN linear bounds (Zhang et al. 2018); L-infinity, deterministic',
    guarantee: 'deterministic: every input in the L-infinity ball gets the certified class (up to float32 rounding)',
    ...boundRadii,
    options: obj('CROWN linear bounds, L-infinity.', {
      epsilon: epsilon('verify'),
      batchSize: boundBatch(32),
      intermediate: oneOf(['crown', 'ibp'] as const, 'crown', 'Pre-activation bounds from CROWN itself (the full method) or from IBP (CROWN-IBP, faster, looser).'),
      lowerSlope: oneOf(['adaptive', 'zero', 'one', 'same-slope'] as const, 'adaptive', 'Lower line of the ReLU relaxation on unstable neurons: adaptive (CROWN), zero, one, or same-slope (Fast-Lin).'),
    }),
    grid: boundGrid('crown', 'crown-ibp', 5000),
    inDefaultGrid: true,
    load: () => import('../certify/crown.js'),
  }),
  deeppoly: certifier({
    description: 'DeepPoly (Singh et al. 2019): back-substitution with its ReLU relaxation, concretised at every layer; L-infinity, deterministic',
    guarantee: 'deterministic: every input in the L-infinity ball gets the certified class (up to float32 rounding)',
    ...boundRadii,
    options: obj('DeepPoly, L-infinity.', {
      epsilon: epsilon('verify'),
      batchSize: boundBatch(32),
      intermediate: oneOf(['deeppoly', 'crown', 'ibp'] as const, 'deeppoly', "Intermediate bounds: DeepPoly's own back-substitution (concretised at every layer), CROWN's (then never looser than CROWN), or IBP's."),
    }),
    grid: boundGrid('deeppoly', 'crown-ibp', 5000),
    inDefaultGrid: false,
    load: () => import('../certify/deeppoly.js'),
  }),
  tightest: certifier({
    description: 'the tightest of several bound-based certifiers per input and margin (their elementwise maximum); L-infinity, deterministic',
    guarantee: 'deterministic: every input in the L-infinity ball gets the certified class (up to float32 rounding); never looser than any of its parts',
    ...boundRadii,
    options: obj('The tightest of IBP, CROWN and DeepPoly per margin (on IBP-trained networks CROWN is often looser than IBP).', {
      epsilon: epsilon('verify'),
      batchSize: boundBatch(32),
      of: list(oneOf(['ibp', 'crown', 'deeppoly'] as const, 'ibp', ''), ['ibp', 'crown'], 'The bound-based certifiers whose margin bounds are combined.', { minItems: 1, uniqueItems: true }),
    }),
    grid: boundGrid('tightest', 'ibp', 20000),
    inDefaultGrid: false,
    load: () => import('../certify/tightest.js'),
  }),
});

export type CertifierName = (typeof CERTIFIERS.names)[number];
