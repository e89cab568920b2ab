// nn: modules, layers, named architectures and model weights on disk.
export { Module, type LoadStateDictOptions } from './module.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
export { ReLU } from './layers/relu.js';
export { Flatten } from './layers/flatten.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './layers/batchnorm2d.js';
export { Pool2d, type Pool2dOptions } from './layers/pool2d.js';
export { MaxPool2d } from './layers/maxpool2d.js';
export { AvgPool2d } from './layers/avgpool2d.js';
export { Sequential } from './layers/sequential.js';
export { BasicBlock, type BasicBlockOptions } from './layers/basic-block.js';
export { fanIn, kaimingUniformBound } from './init.js';
export { architectures, getArchitecture, buildModel, type Architecture, type BuildOptions, type InputShape } from './architectures.js';
export { saveModel, loadModelWeights, assertFiniteWeights, nonFiniteCount, WeightsError } from './io.js';
