// The paper's experiment grid for `abstain reproduce`: data sets × attacks × certifier settings
// × poison rates, at three scales. The axes come from the catalog: the data sets and attacks
// marked for the grid, and each certifier's settings (smoothing at σ 0.12, 0.25 and 0.5 on
// Gaussian-trained victims; IBP and CROWN at ε 0.1 on IBP / CROWN-IBP-trained victims). Each cell
// is an ordinary experiment config (and run folder), so the grid resumes cell by cell.
import { ATTACKS, CERTIFIERS, DATASETS, type GridSetting, type Overrides, type ScaleName } from '../catalog/index.js';
import { CliError } from './io.js';

export const GRID_RATES = [0.001, 0.005, 0.01, 0.05];

/** One certifier column of the grid: its catalog name and setting. */
export interface CertifierSetting extends GridSetting {
  /** The certifier's catalog name. */
  family: string;
}

export interface Scale {
  name: ScaleName;
  description: string;
  /** The axes; absent: what the catalog marks for the grid. */
  datasets?: string[];
  attacks?: string[];
  /** Certifier setting ids (smoothing-0.25); absent: every default-grid certifier at its default values. */
  certifiers?: string[];
  rates: number[];
  /** Config fields shared by every cell (sizes: training set, epochs, inputs, n). */
  base: Overrides;
}

/** The settings of a certifier for the given values of its grid parameter (default: the catalog's). */
export function certifierSettings(name: string, values?: number[]): CertifierSetting[] {
  const grid = CERTIFIERS.get(name).grid;
  return (values ?? grid.values).map((v) => ({ family: name, ...grid.setting(v) }));
}

/** The config fields an attack's cells get under a certifier setting (the catalog's gridDefaults for its norm), before the user's flags. */
export function attackGridDefaults(attack: string, certifier: CertifierSetting): Record<string, unknown> {
  return ATTACKS.get(attack).gridDefaults?.(CERTIFIERS.get(certifier.family)) ?? {};
}

/** A setting id such as smoothing-0.3 or ibp-0.2: a certifier and a value of its grid parameter. */
export function settingFromId(id: string): CertifierSetting {
  for (const name of CERTIFIERS.names) {
    if (id === name) continue;
    if (id.startsWith(`${name}-`)) {
      const v = Number(id.slice(name.length + 1));
      if (Number.isFinite(v) && v > 0) return certifierSettings(name, [v])[0];
    }
  }
  throw new CliError(`certifier setting "${id}" is unknown; use a certifier (${CERTIFIERS.names.join(', ')}) or <certifier>-<value>, e.g. smoothing-0.25 or ibp-0.1`);
}

const defaultCertifiers = (): CertifierSetting[] => CERTIFIERS.names.filter((n) => CERTIFIERS.get(n).inDefaultGrid).flatMap((n) => certifierSettings(n));

export const SCALES: Record<ScaleName, Scale> = {
  // Seconds: a synthetic data set, a tiny MLP, two rates, one attack, two certifiers. For tests.
  smoke: {
    name: 'smoke',
    description: 'synthetic data, MLP, 1 epoch, 20 inputs, n 100: a few seconds per cell (for tests)',
    datasets: ['synthetic'],
    attacks: ['uncertainty'],
    certifiers: ['smoothing-0.25', 'ibp-0.1'],
    rates: [0.01, 0.05],
    base: {
      'data.trainLimit': 1000,
      'data.testLimit': 100,
      'train.epochs': 1,
      'train.batchSize': 64,
      'train.ibp.epsilonRampEpochs': 1,
      'train.crown-ibp.epsilonRampEpochs': 1,
      'eval.testInputs': 20,
      'certify.smoothing.n0': 20,
      'certify.smoothing.n': 100,
      'certify.smoothing.batchSize': 500,
    },
  },
  // The whole grid (MNIST and Fashion-MNIST, 4 attacks, 5 certifier settings, 4 rates: 160 cells)
  // on 2 cores within 2 hours: 4 epochs, 200 inputs, smoothing n 1,000; certified training trains
  // on fewer images (the certifier settings' own sizes). The time estimate is in docs/cli.md.
  small: {
    name: 'small',
    description: 'MNIST and Fashion-MNIST, 160 cells: full training sets (IBP 20,000, CROWN-IBP 5,000 images), 4 epochs, 200 inputs, smoothing n 1,000; under 2 hours on 2 cores',
    rates: GRID_RATES,
    base: {
      'data.trainLimit': 0,
      'train.epochs': 4,
      'train.ibp.epsilonRampEpochs': 2,
      'train.crown-ibp.epsilonRampEpochs': 2,
      'eval.testInputs': 200,
      'certify.smoothing.n0': 50,
      'certify.smoothing.n': 1000,
    },
  },
  // The paper's sizes: full training sets, 10 epochs, 500 inputs, n 100,000 (days on 2 cores).
  full: {
    name: 'full',
    description: "the paper's sizes: full training sets, 10 epochs, 500 inputs, smoothing n 100,000 (days on 2 cores; a GPU-less workstation needs a week)",
    rates: GRID_RATES,
    base: {
      'data.trainLimit': 0,
      'train.epochs': 10,
      'eval.testInputs': 500,
      'certify.smoothing.n0': 100,
      'certify.smoothing.n': 100000,
    },
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
  /** The data set's, certifier setting's and attack's own fields (architecture, sizes, trigger): after the scale's base, before the user's flags. */
  datasetDefaults: Overrides;
  /** The grid's axes: applied last, on top of the user's flags. */
  overrides: Overrides;
}

export interface GridFilter {
  datasets?: string[];
  attacks?: string[];
  rates?: number[];
  /** Certifiers (smoothing, ibp) or setting ids (smoothing-0.25). */
  certifiers?: string[];
  /** Values of the certifiers' grid parameters instead of the catalog's (--sigmas, --epsilons). */
  sigmas?: number[];
  epsilons?: number[];
}

/** The cells of a scale, in an order that trains each baseline once before the cells that reuse it. */
export function gridCells(scale: Scale, f: GridFilter = {}): GridCell[] {
  for (const d of f.datasets ?? []) DATASETS.get(d);
  for (const a of f.attacks ?? []) ATTACKS.get(a);
  const datasets = f.datasets?.length ? f.datasets : (scale.datasets ?? DATASETS.names.filter((n) => DATASETS.get(n).inDefaultGrid));
  const attacks = f.attacks?.length ? f.attacks : (scale.attacks ?? ATTACKS.names.filter((n) => ATTACKS.get(n).inDefaultGrid));
  const rates = f.rates?.length ? f.rates : scale.rates;
  let certifiers: CertifierSetting[];
  if (f.certifiers?.length) {
    certifiers = f.certifiers.flatMap((c) => (CERTIFIERS.has(c) ? certifierSettings(c) : [settingFromId(c)]));
  } else certifiers = scale.certifiers ? scale.certifiers.map(settingFromId) : defaultCertifiers();
  // --sigmas / --epsilons replace the values of every chosen certifier with that grid parameter
  const values = { sigma: f.sigmas, epsilon: f.epsilons };
  const families = [...new Set(certifiers.map((c) => c.family))];
  certifiers = families.flatMap((name) => {
    const v = values[CERTIFIERS.get(name).grid.parameter];
    return v?.length ? certifierSettings(name, v) : certifiers.filter((c) => c.family === name);
  });
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
            datasetDefaults: { 'model.architecture': DATASETS.get(dataset).architecture, ...(certifier.sizes?.[scale.name] ?? {}), ...attackGridDefaults(attack, certifier) },
            overrides: { 'data.dataset': dataset, 'attack.kind': attack, 'attack.rate': rate, ...certifier.overrides },
          });
        }
      }
    }
  }
  return cells;
}
