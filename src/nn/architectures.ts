// Named architectures: each knows its default input shape and class count, and builds a fresh
// Sequential whose initial weights follow from a seed. The input channels, size and class count
// follow the data when given; a shape the architecture cannot take is a one-line error.
import { Generator, type Device } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear } from './layers/linear.js';
import { Conv2d } from './layers/conv2d.js';
import { ReLU } from './layers/relu.js';
import { Flatten } from './layers/flatten.js';
import { BatchNorm2d } from './layers/batchnorm2d.js';
import { AvgPool2d } from './layers/avgpool2d.js';
import { Sequential } from './layers/sequential.js';
import { BasicBlock } from './layers/basic-block.js';

export type InputShape = [number, number, number];

export interface BuildOptions {
  /** [C, H, W]; default: the architecture's own */
  inputShape?: InputShape;
  /** default: the architecture's own */
  numClasses?: number;
  /** seeds the generator every initial weight is drawn from */
  seed: number;
  /**
   * Where the model lives (default 'cpu'). The weights are drawn on the CPU and then moved, so a
   * seed gives the same initial network on every device.
   */
  device?: Device;
}

export interface Architecture {
  name: string;
  /** the default input [C, H, W] */
  inputShape: InputShape;
  numClasses: number;
  build(opts: BuildOptions): Sequential;
}

/** A stack of convolutions + ReLU, tracking the [C,H,W] shape so the first Linear fits it. */
function convStack(
  name: string,
  shape: InputShape,
  convs: Array<{ out: number; k: number; stride: number; padding: number }>,
  generator: Generator,
): { layers: Module[]; shape: InputShape } {
  const layers: Module[] = [];
  let s = shape;
  for (const c of convs) {
    const conv = new Conv2d(s[0], c.out, c.k, { stride: c.stride, padding: c.padding, generator });
    const next = conv.outputShape(s);
    if (next[1] < 1 || next[2] < 1) {
      conv.dispose();
      for (const l of layers) l.dispose();
      throw new RangeError(`${name}: input shape [${shape.join(',')}] is too small for its convolutions (one leaves [${next.join(',')}]); use larger images`);
    }
    layers.push(conv, new ReLU());
    s = next;
  }
  return { layers, shape: s };
}

const flat = (s: InputShape) => s[0] * s[1] * s[2];

/** An architecture whose build sees its own record (so errors and defaults name the right one). */
function define(a: Omit<Architecture, 'build'>, build: (self: Architecture, o: BuildOptions) => Sequential): Architecture {
  const self: Architecture = { ...a, build: (o) => build(self, o) };
  return self;
}

const mnistSmall = define({
  name: 'mnist-small',
  inputShape: [1, 28, 28],
  numClasses: 10,
}, (self, o) => {
  const { shape, classes, generator } = resolve(self, o);
  const convs = convStack(self.name, shape, [
    { out: 16, k: 4, stride: 2, padding: 1 },
    { out: 32, k: 4, stride: 2, padding: 1 },
  ], generator);
  return new Sequential(
    ...convs.layers,
    new Flatten(),
    new Linear(flat(convs.shape), 100, { generator }),
    new ReLU(),
    new Linear(100, classes, { generator }),
  );
});

const mnistLarge = define({
  name: 'mnist-large',
  inputShape: [1, 28, 28],
  numClasses: 10,
}, largeCnn);

/** Wong et al.'s large CNN, shared by mnist-large and cifar-cnn. */
function largeCnn(self: Architecture, o: BuildOptions): Sequential {
  const { shape, classes, generator } = resolve(self, o);
  const convs = convStack(self.name, shape, [
    { out: 32, k: 3, stride: 1, padding: 1 },
    { out: 32, k: 4, stride: 2, padding: 1 },
    { out: 64, k: 3, stride: 1, padding: 1 },
    { out: 64, k: 4, stride: 2, padding: 1 },
  ], generator);
  return new Sequential(
    ...convs.layers,
    new Flatten(),
    new Linear(flat(convs.shape), 512, { generator }),
    new ReLU(),
    new Linear(512, 512, { generator }),
    new ReLU(),
    new Linear(512, classes, { generator }),
  );
}

const cifarCnn = define({
  name: 'cifar-cnn',
  inputShape: [3, 32, 32],
  numClasses: 10,
}, largeCnn);

const cifarResnet = define({
  name: 'cifar-resnet',
  inputShape: [3, 32, 32],
  numClasses: 10,
}, (self, o) => {
  const { shape, classes, generator } = resolve(self, o);
  const [c, h, w] = shape;
  if (h % 4 || w % 4) {
    throw new RangeError(`cifar-resnet: input shape [${shape.join(',')}] needs a height and width divisible by 4 (two stride-2 stages), e.g. [3,32,32]`);
  }
  const stage = (inPlanes: number, planes: number, stride: number) =>
    new Sequential(
      new BasicBlock(inPlanes, planes, { stride, generator }),
      new BasicBlock(planes, planes, { generator }),
      new BasicBlock(planes, planes, { generator }),
    );
  return new Sequential(
    new Conv2d(c, 16, 3, { padding: 1, bias: false, generator }),
    new BatchNorm2d(16),
    new ReLU(),
    stage(16, 16, 1),
    stage(16, 32, 2),
    stage(32, 64, 2),
    // global average pooling as a plain AvgPool2d over the final map, which certifiers bound
    new AvgPool2d([h / 4, w / 4]),
    new Flatten(),
    new Linear(64, classes, { generator }),
  );
});

const mlp = define({
  name: 'mlp',
  inputShape: [1, 28, 28],
  numClasses: 10,
}, (self, o) => {
  const { shape, classes, generator } = resolve(self, o);
  return new Sequential(
    new Flatten(),
    new Linear(flat(shape), 100, { generator }),
    new ReLU(),
    new Linear(100, 100, { generator }),
    new ReLU(),
    new Linear(100, classes, { generator }),
  );
});

function resolve(arch: Architecture, o: BuildOptions): { shape: InputShape; classes: number; generator: Generator } {
  const shape = o.inputShape ?? arch.inputShape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${arch.name}: input shape must be [C,H,W] of positive integers, got [${shape.join(',')}]`);
  }
  const classes = o.numClasses ?? arch.numClasses;
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`${arch.name}: numClasses must be an integer ≥ 2, got ${classes}`);
  return { shape: [shape[0], shape[1], shape[2]], classes, generator: new Generator(o.seed) };
}

export const architectures: Readonly<Record<string, Architecture>> = Object.freeze(
  Object.fromEntries([mnistSmall, mnistLarge, cifarCnn, cifarResnet, mlp].map((a) => [a.name, a])),
);

export function getArchitecture(name: string): Architecture {
  const arch = Object.hasOwn(architectures, name) ? architectures[name] : undefined;
  if (!arch) throw new Error(`unknown architecture '${name}' (known: ${Object.keys(architectures).join(', ')})`);
  return arch;
}

/** A freshly initialised model of the named architecture, in train mode, on opts.device (default the CPU). */
export function buildModel(name: string, opts: BuildOptions): Sequential {
  const model = getArchitecture(name).build(opts);
  return opts.device && opts.device !== 'cpu' ? model.to(opts.device) : model;
}
