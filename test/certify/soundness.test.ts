// Soundness of CROWN (through BasicBlock and MaxPool2d), DeepPoly and the tightest-of bound on
// the project's architectures at small sizes: no sampled point and no PGD point beats a margin
// lower bound; DeepPoly is never looser than CROWN given the same intermediate bounds; the
// tightest bound is the maximum of its parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, type Module } from '../../src/nn/index.js';
import { Generator, noGrad, rand, tidy } from '../../src/tensor/index.js';
import {
  boundNetwork,
  crownSpecBounds,
  deepPolySpecBounds,
  forwardShapes,
  ibpSpecBounds,
  marginSpec,
  tightestSpecBounds,
} from '../../src/certify/index.js';
import { flat, margins, pgdMinMargins, sampledMinMargins, tinyPoolNet, tinyResNet } from './helpers.js';

interface Case {
  name: string;
  model: Module;
  inputShape: number[];
  eps: number[];
  inputs: number;
}

// sized for seconds: DeepPoly bounds every neuron of every ReLU input by back-substitution
const cases = (): Case[] => [
  { name: 'mnist-small', model: buildModel('mnist-small', { seed: 3 }).eval(), inputShape: [1, 28, 28], eps: [0.01], inputs: 1 },
  { name: 'cifar-resnet 4x4', model: buildModel('cifar-resnet', { seed: 5, inputShape: [3, 4, 4], numClasses: 4 }).eval(), inputShape: [3, 4, 4], eps: [0.02], inputs: 1 },
  { name: 'cifar-cnn 4x4', model: buildModel('cifar-cnn', { seed: 6, inputShape: [3, 4, 4], numClasses: 4 }).eval(), inputShape: [3, 4, 4], eps: [0.02], inputs: 2 },
  { name: 'tiny resnet (shortcut conv, MaxPool2d)', model: tinyResNet(4), inputShape: [1, 8, 8], eps: [0.01, 0.05], inputs: 3 },
  { name: 'max-pool CNN', model: tinyPoolNet(7), inputShape: [1, 8, 8], eps: [0.03, 0.1], inputs: 3 },
];

test('eps = 0: CROWN and DeepPoly bounds through residual blocks and max pooling equal the exact margins', () => {
  for (const c of cases().slice(1)) {
    tidy(() =>
      noGrad(() => {
        const x = rand([1, ...c.inputShape], { generator: new Generator(1) });
        const preds = c.model.forward(x).argmax(1).toArray();
        const exact = margins(c.model, x, preds);
        const C = marginSpec(preds, exact.shape[1] + 1);
        const scale = exact.abs().max().item() + 1;
        for (const [name, b] of [
          ['crown', crownSpecBounds(c.model, x, 0, C)],
          ['deeppoly', deepPolySpecBounds(c.model, x, 0, C)],
        ] as const) {
          const err = b.sub(exact).abs().max().item();
          assert.ok(err < 1e-4 * scale, `${c.name} ${name}: error ${err} at eps 0`);
        }
      }),
    );
  }
});

test('soundness: no sampled or PGD point beats the CROWN, DeepPoly or tightest margin bounds (residual, max-pool, CNN)', () => {
  const g = new Generator(42);
  for (const c of cases()) {
    const net = boundNetwork(c.model, 'deeppoly');
    for (const eps of c.eps) {
      tidy(() => {
        const x = rand([c.inputs, ...c.inputShape], { generator: g });
        const preds = noGrad(() => c.model.forward(x).argmax(1).toArray());
        const bounds = noGrad(() => {
          const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
          const C = marginSpec(preds, shapes[net.output][0]);
          const o = { shapes };
          const ibp = ibpSpecBounds(net, x, eps, C, o);
          const crown = crownSpecBounds(net, x, eps, C, o);
          const deeppoly = deepPolySpecBounds(net, x, eps, C, o);
          const tightest = tightestSpecBounds(net, x, eps, C, { ...o, of: ['ibp', 'crown', 'deeppoly'] });
          // DeepPoly against CROWN with the same intermediate bounds (CROWN's, or IBP's): never
          // looser, since every relaxation is the same and DeepPoly only adds candidates to a maximum
          const crownIbp = crownSpecBounds(net, x, eps, C, { ...o, intermediate: 'ibp' });
          const deeppolyIbp = deepPolySpecBounds(net, x, eps, C, { ...o, intermediate: 'ibp' });
          const deeppolyCrown = deepPolySpecBounds(net, x, eps, C, { ...o, intermediate: 'crown' });
          const scale = crown.abs().max().item() + 1;
          const below = (a: typeof crown, b: typeof crown) => b.sub(a).max().item() / scale;
          assert.ok(below(deeppolyIbp, crownIbp) <= 1e-6, `${c.name} eps ${eps}: DeepPoly (IBP intermediates) looser than CROWN-IBP by ${below(deeppolyIbp, crownIbp)}`);
          assert.ok(below(deeppolyCrown, crown) <= 1e-6, `${c.name} eps ${eps}: DeepPoly (CROWN's intermediates) looser than CROWN by ${below(deeppolyCrown, crown)}`);
          for (const [name, part] of [['ibp', ibp], ['crown', crown], ['deeppoly', deeppoly]] as const) {
            assert.ok(tightest.sub(part).min().item() >= 0, `${c.name} eps ${eps}: tightest below ${name}`);
          }
          const max = ibp.maximum(crown).maximum(deeppoly);
          assert.ok(tightest.sub(max).abs().max().item() <= 1e-6 * scale, `${c.name}: tightest is not the maximum of its parts`);
          const all: Array<[string, number[][]]> = [
            ['ibp', flat(ibp, c.inputs)],
            ['crown', flat(crown, c.inputs)],
            ['crown-ibp', flat(crownIbp, c.inputs)],
            ['deeppoly', flat(deeppoly, c.inputs)],
            ['deeppoly-ibp', flat(deeppolyIbp, c.inputs)],
            ['deeppoly-crown', flat(deeppolyCrown, c.inputs)],
            ['tightest', flat(tightest, c.inputs)],
          ];
          return all;
        });
        const attacked = pgdMinMargins(c.model, x, preds, eps, 20);
        for (let i = 0; i < c.inputs; i++) {
          const sampled = sampledMinMargins(c.model, x.slice(0, i, i + 1), preds[i], eps, 500, g);
          for (const [name, b] of bounds) {
            b[i].forEach((lb, j) => {
              const worst = Math.min(sampled[j], attacked[i][j]);
              assert.ok(lb <= worst + 1e-4 * (1 + Math.abs(worst)), `${c.name} eps ${eps} input ${i} ${name}: bound ${lb} > attained margin ${worst} (row ${j})`);
            });
          }
        }
      });
    }
  }
});
