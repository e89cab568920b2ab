// Sequential: applies its layers in order; children are named "0", "1", … as in PyTorch.
import { isGradEnabled, type Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';
import { ReLU } from './relu.js';
import { Conv2d } from './conv2d.js';
import { Linear } from './linear.js';
import { BatchNorm2d } from './batchnorm2d.js';

/** Layers whose output is always a new tensor of their own (never a view of their input). */
const freshOutput = (m: Module | undefined) => m instanceof Conv2d || m instanceof Linear || m instanceof BatchNorm2d;

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }
  /**
   * Without autograd, a ReLU right after a Conv2d, Linear or BatchNorm2d rectifies that layer's
   * new output in place (no extra activation is allocated); the caller's input is never changed.
   */
  forward(x: Tensor): Tensor {
    const inPlace = !isGradEnabled();
    let y = x;
    this.layers.forEach((layer, i) => {
      y = inPlace && layer instanceof ReLU && i > 0 && freshOutput(this.layers[i - 1]) ? y.relu_() : layer.forward(y);
    });
    return y;
  }
  override children(): Array<[string, Module]> {
    return this.layers.map((m, i) => [String(i), m]);
  }
}
