// The registry: which bound operator bounds which layer class (matched with instanceof, first
// match wins). Adding a layer kind = one file in this folder + one line here.
import { AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU } from '../../nn/index.js';
import { avgPool2d } from './avgpool2d.js';
import { basicBlock } from './basic-block.js';
import { batchNorm2d } from './batchnorm2d.js';
import { conv2d } from './conv2d.js';
import { flatten } from './flatten.js';
import { linear } from './linear.js';
import { maxPool2d } from './maxpool2d.js';
import { relu } from './relu.js';
import type { BoundModule, CompositeBoundModule } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LayerClass = abstract new (...args: any[]) => Module;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBounds = BoundModule<any> | CompositeBoundModule<any>;

const registry: Array<[LayerClass, AnyBounds]> = [
  [Linear, linear],
  [Conv2d, conv2d],
  [ReLU, relu],
  [Flatten, flatten],
  [BatchNorm2d, batchNorm2d],
  [AvgPool2d, avgPool2d],
  [MaxPool2d, maxPool2d],
  [BasicBlock, basicBlock],
];

/** Registers the bound operator for a layer class of your own (checked before the built-ins). */
export function registerBoundModule<L extends Module>(cls: abstract new (...args: never[]) => L, bounds: BoundModule<L> | CompositeBoundModule<L>): void {
  registry.unshift([cls as unknown as LayerClass, bounds]);
}

/** The bound computation a network is prepared for; all but IBP need every layer's backward pass. */
export type BoundMethod = 'ibp' | 'crown' | 'deeppoly';

/** Whether `b` serves `method` (a composite serves it when its parts do, checked as it expands). */
const serves = (b: AnyBounds, method: BoundMethod) => method === 'ibp' || 'expand' in b || b.backward !== undefined;

function supported(method: BoundMethod): string {
  return registry
    .filter(([, b]) => serves(b, method))
    .map(([, b]) => b.kind)
    .join(', ');
}

/**
 * The bound operator for a layer (a composite one describes its parts); a clear error when the
 * layer kind has none for `method`.
 */
export function boundModuleFor(layer: Module, method: BoundMethod): BoundModule | CompositeBoundModule {
  const found = registry.find(([cls]) => layer instanceof cls);
  if (!found || !serves(found[1], method)) {
    throw new Error(`${method}: layer kind ${layer.constructor.name} is not supported (supported: ${supported(method)})`);
  }
  return found[1];
}
