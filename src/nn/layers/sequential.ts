// Sequential: applies its layers in order; children are named "0", "1", … as in PyTorch.
import type { Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
  override children(): Array<[string, Module]> {
    return this.layers.map((m, i) => [String(i), m]);
  }
}
