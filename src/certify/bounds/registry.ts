// The registry: which bound operator bounds which layer class (matched with instanceof, first
// match wins). Adding a layer kind = one file in this folder + one line here.
import { AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { avgPool2d } from './avgpool2d.js';
import { basicBlock } from './basic-block.js';
import { batchNorm2d } from './batchnorm2d.js';
import { conv2d } from './conv2d.js';
import { flatten } from './flatten.js';
import { linear } from './linear.js';
import { maxPool2d } from './maxpool2d.js';
import { relu } from './relu.js';
import type { BoundModule, IntervalContext } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LayerClass = abstract new (...args: any[]) => Module;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const registry: Array<[LayerClass, BoundModule<any>]> = [
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
export function registerBoundModule<L extends Module>(cls: abstract new (...args: never[]) => L, bounds: BoundModule<L>): void {
  registry.unshift([cls as unknown as LayerClass, bounds]);
}

export type BoundMethod = 'ibp' | 'crown';

function supported(method: BoundMethod): string {
  return registry
    .filter(([, b]) => method === 'ibp' || b.backward)
    .map(([, b]) => b.kind)
    .join(', ');
}

/** The bound operator for a layer; a clear error when the layer kind has none for `method`. */
export function boundModuleFor(layer: Module, method: BoundMethod): BoundModule {
  const found = registry.find(([cls]) => layer instanceof cls);
  if (!found || (method === 'crown' && !found[1].backward)) {
    throw new Error(`${method}: layer kind ${layer.constructor.name} is not supported (supported: ${supported(method)})`);
  }
  return found[1];
}

/** The layers of a model in order, nested Sequentials unpacked. */
export function layersOf(model: Module): Module[] {
  if (model instanceof Sequential) return model.layers.flatMap(layersOf);
  return [model];
}

/** IBP through any module (Sequential or a single layer). */
export const intervalContext: IntervalContext = {
  interval(module: Module, lo: Tensor, hi: Tensor): [Tensor, Tensor] {
    let [l, u] = [lo, hi];
    for (const layer of layersOf(module)) [l, u] = boundModuleFor(layer, 'ibp').interval(layer, l, u, intervalContext);
    return [l, u];
  },
};
