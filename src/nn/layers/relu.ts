// ReLU: max(x, 0), elementwise.
import type { Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
