// The paper's experiment grid for `abstain reproduce`: data sets × attacks × certifiers × poison
// rates, at three scales. Each cell is an ordinary experiment config (and run folder), so the grid
// resumes cell by cell. Certifier settings follow the paper: randomized smoothing at σ 0.12, 0.25
// and 0.5 (each model trained with Gaussian noise of its own σ), and IBP / CROWN at ε 0.1 on
// models trained with IBP / CROWN-IBP.
import type { CertifierName, Overrides } from '../config/index.js';

export const GRID_RATES = [0.001, 0.005, 0.01, 0.05];
export const GRID_ATTACKS = ['uncertainty', 'boundary', 'badnets'] as const;
export const GRID_SIGMAS = [0.12, 0.25, 0.5];
export const GRID_EPSILON = 0.1;

/** One certifier column of the grid: how the victim trains and what certifies it. */
export interface CertifierSetting {
  /** Folder-name part: smoothing-0.25, ibp-0.1, crown-0.1. */
  id: string;
  /** The results table's certifier column. */
  label: string;
  family: CertifierName;
  overrides: Overrides;
}

export function smoothingSetting(sigma: number): CertifierSetting {
  return {
    id: `smoothing-${sigma}`,
    label: `smoothing σ=${sigma}`,
    family: 'smoothing',
    overrides: { 'train.objective': 'gaussian', 'train.sigma': sigma, 'certify.kinds': ['smoothing'], 'certify.smoothing.sigma': sigma },
  };
}

export function boundSetting(kind: 'ibp' | 'crown', epsilon: number): CertifierSetting {
  const objective = kind === 'ibp' ? 'ibp' : 'crown-ibp';
  return {
    id: `${kind}-${epsilon}`,
    label: `${kind} ε=${epsilon} (${objective} training)`,
    family: kind,
    overrides: { 'train.objective': objective, 'train.epsilon': epsilon, 'certify.kinds': [kind], [`certify.${kind}.epsilon`]: epsilon },
  };
}

export interface Scale {
  name: 'smoke' | 'small' | 'full';
  description: string;
  datasets: string[];
  attacks: string[];
  rates: number[];
  certifiers: CertifierSetting[];
  /** Config fields shared by every cell (sizes: training set, epochs, inputs, n). */
  base: Overrides;
  /** Per data set: the architecture (and anything else the data set needs). */
  perDataset: Record<string, Overrides>;
  /** Per certifier family: sizes that differ (certified training costs far more per sample). */
  perCertifier?: Partial<Record<CertifierName, Overrides>>;
}

const ARCH: Record<string, Overrides> = {
  mnist: { 'model.architecture': 'mnist-small' },
  'fashion-mnist': { 'model.architecture': 'mnist-small' },
  cifar10: { 'model.architecture': 'cifar-resnet' },
  synthetic: { 'model.architecture': 'mlp' },
};

const allCertifiers = (): CertifierSetting[] => [...GRID_SIGMAS.map(smoothingSetting), boundSetting('ibp', GRID_EPSILON), boundSetting('crown', GRID_EPSILON)];

export const SCALES: Record<Scale['name'], Scale> = {
  // Seconds: a synthetic data set, a tiny MLP, two rates, one attack, two certifiers. For tests.
  smoke: {
    name: 'smoke',
    description: 'synthetic data, MLP, 1 epoch, 20 inputs, n 100: a few seconds per cell (for tests)',
    datasets: ['synthetic'],
    attacks: ['uncertainty'],
    rates: [0.01, 0.05],
    certifiers: [smoothingSetting(0.25), boundSetting('ibp', GRID_EPSILON)],
    base: {
      'data.trainLimit': 1000,
      'data.testLimit': 100,
      'train.epochs': 1,
      'train.batchSize': 64,
      'train.epsilonRampEpochs': 1,
      'eval.testInputs': 20,
      'certify.smoothing.n0': 20,
      'certify.smoothing.n': 100,
      'certify.smoothing.batchSize': 500,
    },
    perDataset: ARCH,
  },
  // The whole grid (MNIST and Fashion-MNIST, 3 attacks, 5 certifier settings, 4 rates: 120 cells)
  // on 2 cores within 2 hours: reduced training sets, epochs, inputs and n; certified training
  // (IBP, and CROWN-IBP above all) costs far more per sample, so those cells train on fewer
  // images. The time estimate is in docs/cli.md.
  small: {
    name: 'small',
    description: 'MNIST and Fashion-MNIST, 120 cells: full training sets (IBP 20,000, CROWN-IBP 5,000 images), 4 epochs, 200 inputs, smoothing n 1,000; under 2 hours on 2 cores',
    datasets: ['mnist', 'fashion-mnist'],
    attacks: [...GRID_ATTACKS],
    rates: GRID_RATES,
    certifiers: allCertifiers(),
    base: {
      'data.trainLimit': 0,
      'train.epochs': 4,
      'train.epsilonRampEpochs': 2,
      'eval.testInputs': 200,
      'certify.smoothing.n0': 50,
      'certify.smoothing.n': 1000,
    },
    perDataset: ARCH,
    perCertifier: {
      ibp: { 'data.trainLimit': 20000 },
      crown: { 'data.trainLimit': 5000 },
    },
  },
  // The paper's sizes: full training sets, 10 epochs, 500 inputs, n 100,000 (days on 2 cores).
  full: {
    name: 'full',
    description: "the paper's sizes: full training sets, 10 epochs, 500 inputs, smoothing n 100,000 (days on 2 cores; a GPU-less workstation needs a week)",
    datasets: ['mnist', 'fashion-mnist'],
    attacks: [...GRID_ATTACKS],
    rates: GRID_RATES,
    certifiers: allCertifiers(),
    base: {
      'data.trainLimit': 0,
      'train.epochs': 10,
      'eval.testInputs': 500,
      'certify.smoothing.n0': 100,
      'certify.smoothing.n': 100000,
    },
    perDataset: ARCH,
  },
};

/** One cell of the grid: a run folder and the config overrides that make it. */
export interface GridCell {
  /** The run folder's name, e.g. mnist-uncertainty-smoothing-0.25-rate0.01. */
  name: string;
  dataset: string;
  attack: string;
  rate: number;
  certifier: CertifierSetting;
  /** The data set's and certifier's own fields (architecture, sizes): after the scale's base, before the user's flags. */
  datasetDefaults: Overrides;
  /** The grid's axes: applied last, on top of the user's flags. */
  overrides: Overrides;
}

export interface GridFilter {
  datasets?: string[];
  attacks?: string[];
  rates?: number[];
  /** Certifier families (smoothing, ibp, crown) or setting ids (smoothing-0.25). */
  certifiers?: string[];
  sigmas?: number[];
}

/** The cells of a scale, in an order that trains each baseline once before the cells that reuse it. */
export function gridCells(scale: Scale, f: GridFilter = {}): GridCell[] {
  const datasets = f.datasets?.length ? f.datasets : scale.datasets;
  const attacks = f.attacks?.length ? f.attacks : scale.attacks;
  const rates = f.rates?.length ? f.rates : scale.rates;
  let certifiers = scale.certifiers;
  if (f.sigmas?.length) certifiers = [...certifiers.filter((c) => c.family !== 'smoothing'), ...f.sigmas.map(smoothingSetting)];
  if (f.certifiers?.length) certifiers = certifiers.filter((c) => f.certifiers!.includes(c.family) || f.certifiers!.includes(c.id));
  const cells: GridCell[] = [];
  for (const dataset of datasets) {
    for (const certifier of certifiers) {
      for (const attack of attacks) {
        for (const rate of rates) {
          cells.push({
            name: `${dataset}-${attack}-${certifier.id}-rate${rate}`,
            dataset,
            attack,
            rate,
            certifier,
            datasetDefaults: { ...(scale.perDataset[dataset] ?? {}), ...(scale.perCertifier?.[certifier.family] ?? {}) },
            overrides: {
              'data.dataset': dataset,
              'attack.kind': attack,
              'attack.rate': rate,
              ...certifier.overrides,
            },
          });
        }
      }
    }
  }
  return cells;
}
