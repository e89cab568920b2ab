// Networks and attacks shared by the bound-certifier tests: tiny networks touching every layer
// kind, and the points that try to beat a bound (uniform samples, corners, PGD on the margins).
import {
  AvgPool2d,
  BasicBlock,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  type Module,
} from '../../src/nn/index.js';
import { Generator, noGrad, rand, randn, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { inputBox, marginSpec } from '../../src/certify/index.js';

// ---------- test networks ----------

/** Random eval-mode statistics and affine parameters for every BatchNorm2d. */
export function randomizeBatchNorm(model: Module, g: Generator): void {
  noGrad(() => {
    for (const [, m] of model.namedModules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      const C = m.numFeatures;
      m.runningMean.copy_(tidy(() => randn([C], { generator: g }).mul(0.3)));
      m.runningVar.copy_(tidy(() => rand([C], { generator: g }).add(0.5)));
      m.weight.copy_(tidy(() => randn([C], { generator: g })));
      m.bias.copy_(tidy(() => randn([C], { generator: g }).mul(0.2)));
    }
  });
  model.eval();
}

/** A tiny CNN touching every CROWN layer kind: strided, padded, grouped and dilated convolutions (8x8 input: output_padding 1), BatchNorm, AvgPool with padding. */
export function tinyConvNet(seed: number): Sequential {
  const g = new Generator(seed);
  const net = new Sequential(
    new Conv2d(1, 4, 3, { stride: 2, padding: 1, generator: g }), // 8x8 -> 4x4
    new BatchNorm2d(4),
    new ReLU(),
    new Conv2d(4, 6, 3, { padding: 2, dilation: 2, groups: 2, generator: g }), // 4x4 -> 4x4
    new ReLU(),
    new AvgPool2d(3, { stride: 2, padding: 1 }), // 4x4 -> 2x2
    new Flatten(),
    new Linear(24, 12, { generator: g }),
    new ReLU(),
    new Linear(12, 4, { generator: g }),
  );
  randomizeBatchNorm(net, g);
  return net;
}

export function tinyMlp(seed: number): Sequential {
  const g = new Generator(seed);
  return new Sequential(
    new Flatten(),
    new Linear(12, 20, { generator: g }),
    new ReLU(),
    new Linear(20, 20, { generator: g }),
    new ReLU(),
    new Linear(20, 20, { generator: g }),
    new ReLU(),
    new Linear(20, 5, { generator: g }),
  ).eval();
}

export function tinyResNet(seed: number): Sequential {
  const g = new Generator(seed);
  const net = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, generator: g }),
    new BatchNorm2d(4),
    new ReLU(),
    new BasicBlock(4, 4, { generator: g }),
    new BasicBlock(4, 8, { stride: 2, generator: g }),
    new MaxPool2d(2),
    new AvgPool2d(2),
    new Flatten(),
    new Linear(8, 3, { generator: g }),
  );
  randomizeBatchNorm(net, g);
  return net;
}

// ---------- attacks ----------

export const flat = (t: Tensor, rows: number) => {
  const a = t.toFloat32Array();
  const k = a.length / rows;
  return Array.from({ length: rows }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)));
};

/** Margins logit_c − logit_j (j ≠ c) of the model at points [B, ...], c per point. */
export function margins(model: Module, pts: Tensor, classes: number[]): Tensor {
  const logits = model.forward(pts);
  return marginSpec(classes, logits.shape[1]).matmul(logits.unsqueeze(2)).squeeze(2);
}

/** The smallest margin found by uniform samples and random corners of the region around x (one input), per j. */
export function sampledMinMargins(model: Module, x: Tensor, c: number, eps: number, samples: number, g: Generator): number[] {
  return tidy(() =>
    noGrad(() => {
      const [lo, hi] = inputBox(x, eps);
      const shape = [samples, ...x.shape.slice(1)];
      const u = rand(shape, { generator: g });
      const corners = rand(shape, { generator: g }).ge(0.5).to('float32');
      const pts = [lo.add(hi.sub(lo).mul(u)), lo.add(hi.sub(lo).mul(corners))];
      const mins = pts.map((p) => margins(model, p, new Array(samples).fill(c)).min(0).toArray());
      return mins[0].map((v, j) => Math.min(v, mins[1][j]));
    }),
  );
}

/**
 * PGD with sign gradients on the margins of each input of x [N, ...] (class c[i]): one run per
 * margin j, all batched; returns the smallest margin found, [N][K-1].
 */
export function pgdMinMargins(model: Module, x: Tensor, c: number[], eps: number, steps: number): number[][] {
  return tidy(() => {
    const N = x.shape[0];
    const K = noGrad(() => model.forward(x.slice(0, 0, 1)).shape[1]);
    const S = K - 1;
    const rep = (t: Tensor) => t.unsqueeze(1).expand([N, S, ...t.shape.slice(1)]).reshape([N * S, ...t.shape.slice(1)]);
    const [lo, hi] = noGrad(() => inputBox(x, eps).map(rep));
    const classes = c.flatMap((ci) => new Array<number>(S).fill(ci));
    let adv = noGrad(() => lo.add(hi).div(2).clone());
    const pick = noGrad(() =>
      tensor(Array.from({ length: N * S }, (_, r) => Array.from({ length: S }, (_, j) => (j === r % S ? 1 : 0)))),
    );
    const best = Array.from({ length: N }, () => new Array<number>(S).fill(Infinity));
    const step = (2.5 * eps) / steps;
    for (let s = 0; s <= steps; s++) {
      adv = tidy(() => {
        const a = adv.detach().requiresGrad_(true);
        const own = margins(model, a, classes).mul(pick).sum(1); // row (i, j) attacks margin j of input i
        own.toArray().forEach((v, r) => {
          const i = Math.floor(r / S);
          best[i][r % S] = Math.min(best[i][r % S], v);
        });
        own.sum().backward();
        const grad = a.grad!;
        return noGrad(() => a.sub(grad.sign().mul(step)).maximum(lo).minimum(hi).detach());
      });
    }
    return best;
  });
}

/** A small CNN with max pooling: overlapping padded windows, then non-overlapping ones. */
export function tinyPoolNet(seed: number): Sequential {
  const g = new Generator(seed);
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, generator: g }), // 8x8
    new ReLU(),
    new MaxPool2d(3, { stride: 1, padding: 1 }), // 8x8, overlapping windows with padding
    new Conv2d(4, 6, 3, { stride: 2, padding: 1, generator: g }), // 4x4
    new MaxPool2d(2), // 2x2, straight after an affine layer
    new ReLU(),
    new Flatten(),
    new Linear(24, 5, { generator: g }),
  ).eval();
}
