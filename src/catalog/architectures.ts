// The named architectures. The builders are the engine registry in src/nn/architectures.ts; a
// test checks that both name the same architectures with the same default shapes.
import { family, type KindEntry } from './family.js';

export interface ArchitectureEntry extends KindEntry {
  /** The default input [C, H, W] and class count (both follow the data set when it differs). */
  inputShape: [number, number, number];
  numClasses: number;
}

export const ARCHITECTURES = family<Record<'mnist-small' | 'mnist-large' | 'cifar-cnn' | 'cifar-resnet' | 'mlp', ArchitectureEntry>>('architecture', {
  'mnist-small': {
    description: "Wong & Kolter's small CNN: conv 16x4x4 s2, conv 32x4x4 s2, fc 100, fc classes",
    inputShape: [1, 28, 28],
    numClasses: 10,
  },
  'mnist-large': {
    description: "Wong et al.'s large CNN: conv 32x3x3, conv 32x4x4 s2, conv 64x3x3, conv 64x4x4 s2, fc 512, fc 512, fc classes",
    inputShape: [1, 28, 28],
    numClasses: 10,
  },
  'cifar-cnn': {
    description: "Wong et al.'s large CNN for CIFAR-10 (no BatchNorm, suited to IBP and CROWN-IBP training): conv 32x3x3, conv 32x4x4 s2, conv 64x3x3, conv 64x4x4 s2, fc 512, fc 512, fc classes",
    inputShape: [3, 32, 32],
    numClasses: 10,
  },
  'cifar-resnet': {
    description: 'ResNet-20 (He et al. 2016): conv 16, three stages of 3 basic blocks (16, 32, 64 channels), global average pool, fc classes',
    inputShape: [3, 32, 32],
    numClasses: 10,
  },
  mlp: {
    description: 'a small fully connected network for quick tests: fc 100, fc 100, fc classes',
    inputShape: [1, 28, 28],
    numClasses: 10,
  },
});

export type ArchitectureName = (typeof ARCHITECTURES.names)[number];
