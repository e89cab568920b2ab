// Data sets: the Dataset type, loaders (IDX, CIFAR-10), named sources, splits, batching, export.
export { Dataset, concat, split, take, batches, type DatasetInit, type ImageShape, type Batch, type BatchOptions } from './dataset.js';
export { DataError } from './errors.js';
export { parseIdx, readIdx, encodeIdx, encodeIdxFloat32, writeIdx, loadIdxPair, bytesToUnit, unitToBytes, type IdxArray, type IdxPair } from './idx.js';
export { loadCifar10, parseCifarBatch, CIFAR10_CLASSES, CIFAR10_RECORD, CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILES, CIFAR10_URL } from './cifar10.js';
export { makeSynthetic, type SyntheticOptions } from './synthetic.js';
export {
  loadSource, mnistDir, idxFileNames, SOURCES, MNIST_CLASSES, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, SYNTHETIC_SIZES,
  type SourceName, type SourceOptions, type Split,
} from './sources.js';
export { exportIdx, saveImageGrid, gridLayout, type IdxExportOptions, type GridImage, type GridOptions, type GridLayout } from './export.js';
export { permutation, normals, uniforms, uniformInts, toGenerator } from './random.js';
