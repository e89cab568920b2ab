// A training loop inside tidy must not leak: liveTensors() is the same after 1,000 steps as after
// the first (which creates the optimizer's state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, crossEntropy, fromInt32, keep, liveTensors, rand, tidy, type Tensor } from '../../src/tensor/index.js';
import { buildModel, type Module } from '../../src/nn/index.js';
import { Adam, SGD, type Optimizer } from '../../src/train/optim.js';

function trainSteps(model: Module, opt: Optimizer, x: Tensor, y: Tensor, steps: number): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  return losses;
}

test('1,000 Adam steps of mnist-small leave liveTensors() unchanged', () => {
  const model = buildModel('mnist-small', { seed: 0 });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = keep(rand([8, 1, 28, 28], { generator: new Generator(1) }));
  const y = keep(fromInt32([0, 1, 2, 3, 4, 5, 6, 7]));
  const first = trainSteps(model, opt, x, y, 1)[0];
  const live = liveTensors();
  const losses = trainSteps(model, opt, x, y, 999);
  assert.equal(liveTensors(), live, 'tensors leaked by the training loop');
  assert.ok(losses[losses.length - 1] < 0.1 * first, `8 fixed examples are memorised (loss ${first} → ${losses[losses.length - 1]})`);
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
});

test('SGD with momentum on the BatchNorm ResNet leaks nothing either (running statistics update in place)', () => {
  const model = buildModel('cifar-resnet', { seed: 0, inputShape: [3, 8, 8] });
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const x = keep(rand([4, 3, 8, 8], { generator: new Generator(2) }));
  const y = keep(fromInt32([0, 1, 2, 3]));
  trainSteps(model, opt, x, y, 1);
  const live = liveTensors();
  trainSteps(model, opt, x, y, 30);
  assert.equal(liveTensors(), live);
  assert.equal(model.stateDict()['1.num_batches_tracked'].item(), 31);
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
});
