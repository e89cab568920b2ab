// The ResNet v1 basic block (He et al. 2016): conv3x3-bn-relu-conv3x3-bn plus a shortcut, then
// relu. The shortcut is the identity unless the stride or the channel count changes, where it is
// a 1x1 conv + bn (option B). Names match the common PyTorch CIFAR ResNets
// (conv1, bn1, conv2, bn2, shortcut.0, shortcut.1).
import type { Generator, Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';
import { Conv2d } from './conv2d.js';
import { BatchNorm2d } from './batchnorm2d.js';
import { Sequential } from './sequential.js';

export interface BasicBlockOptions {
  stride?: number;
  generator?: Generator;
}

export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  /** Conv2d(1x1) + BatchNorm2d, or null for the identity */
  readonly shortcut: Sequential | null;

  constructor(readonly inPlanes: number, readonly planes: number, opts: BasicBlockOptions = {}) {
    super();
    const stride = opts.stride ?? 1;
    const generator = opts.generator;
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, generator });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, generator });
    this.bn2 = new BatchNorm2d(planes);
    this.shortcut =
      stride !== 1 || inPlanes !== planes
        ? new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, generator }), new BatchNorm2d(planes))
        : null;
  }

  forward(x: Tensor): Tensor {
    const h = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    return h.add(this.shortcut ? this.shortcut.forward(x) : x).relu();
  }
  override children(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [['conv1', this.conv1], ['bn1', this.bn1], ['conv2', this.conv2], ['bn2', this.bn2]];
    if (this.shortcut) out.push(['shortcut', this.shortcut]);
    return out;
  }
}
