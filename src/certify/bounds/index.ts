// Bound operators, one per layer kind, the registry that maps layers to them, and the graph
// they compose into.
export * from './types.js';
export { linear } from './linear.js';
export { conv2d } from './conv2d.js';
export { relu, reluRelaxation, type ReluRelaxation } from './relu.js';
export { flatten } from './flatten.js';
export { batchNorm2d, batchNormAffine } from './batchnorm2d.js';
export { avgPool2d } from './avgpool2d.js';
export { maxPool2d } from './maxpool2d.js';
export { basicBlock } from './basic-block.js';
export { registerBoundModule, boundModuleFor, type BoundMethod } from './registry.js';
export { GraphBuilder, buildGraph, consumersOf, intervalNodes, type BoundNetwork, type BoundNode, type NodeBackwardContext } from './graph.js';
