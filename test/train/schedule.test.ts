// Learning-rate schedules: hand-computed values, PyTorch's own schedulers when python3-torch is
// present, attaching to an optimizer, and state save/restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { keep, tensor } from '../../src/tensor/index.js';
import { CosineAnnealingLR, LrSchedule, MultiStepLR, StepLR } from '../../src/train/schedule.js';
import { SGD } from '../../src/train/optim.js';

const near = (a: number, e: number, what: string) => assert.ok(Math.abs(a - e) <= 1e-12 * (1 + Math.abs(e)), `${what}: ${a} vs ${e}`);
const values = (s: LrSchedule, n: number) => Array.from({ length: n }, (_, t) => s.lrAt(t));

test('StepLR and MultiStepLR: hand-computed rates', () => {
  const step = new StepLR(0.1, { stepSize: 3, gamma: 0.5 });
  [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025].forEach((e, t) => near(step.lrAt(t), e, `StepLR t=${t}`));
  const multi = new MultiStepLR(1, { milestones: [2, 5] });
  [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01].forEach((e, t) => near(multi.lrAt(t), e, `MultiStepLR t=${t}`));
  assert.throws(() => new MultiStepLR(1, { milestones: [5, 2] }), /milestones must be increasing/);
  assert.throws(() => new StepLR(1, { stepSize: 0 }), /stepSize must be a positive integer/);
  assert.throws(() => new LrSchedule(1, { kind: 'linear' } as never), /unknown schedule 'linear' \(known: step, multistep, cosine\)/);
});

test('CosineAnnealingLR: hand-computed rates, with and without warm-up', () => {
  const cos = new CosineAnnealingLR(1, { tMax: 4, etaMin: 0.1 });
  near(cos.lrAt(0), 1, 'start');
  near(cos.lrAt(1), 0.1 + 0.9 * (1 + Math.SQRT1_2) / 2, 'quarter'); // cos(π/4) = √½
  near(cos.lrAt(2), 0.55, 'half-way is the midpoint');
  near(cos.lrAt(4), 0.1, 'reaches etaMin at tMax');
  near(cos.lrAt(6), 0.55, 'past tMax it rises again, as PyTorch');

  const warm = new CosineAnnealingLR(0.3, { tMax: 10, warmup: 4, warmupStartFactor: 0.25 });
  near(warm.lrAt(0), 0.075, 'warm-up starts at base·startFactor');
  near(warm.lrAt(2), 0.3 * (0.25 + 0.75 * 0.5), 'linear warm-up');
  near(warm.lrAt(4), 0.3, 'cosine starts at base');
  near(warm.lrAt(7), 0.15, 'cosine mid-way over the remaining 6 steps');
  near(warm.lrAt(10), 0, 'ends at etaMin');
  assert.throws(() => new CosineAnnealingLR(1, { tMax: 4, warmup: 4 }), /tMax must be an integer greater than warmup \(4\)/);
});

test('step() advances and sets the rate on the optimizer; state restores the position', () => {
  const p = keep(tensor([1], [1], 'float64').requiresGrad_(true));
  const opt = new SGD([p], { lr: 123 });
  const s = new CosineAnnealingLR(0.2, { tMax: 8, warmup: 2 }, opt);
  assert.equal(opt.lr, s.lrAt(0), 'attaching sets the initial rate');
  for (let t = 1; t <= 5; t++) {
    assert.equal(s.step(), s.lrAt(t));
    assert.equal(opt.lr, s.lrAt(t));
  }
  const saved = JSON.parse(JSON.stringify(s.stateDict()));
  const restored = new LrSchedule(1, { kind: 'step', stepSize: 1 }, opt);
  restored.loadStateDict(saved);
  assert.equal(restored.lastEpoch, 5);
  assert.equal(opt.lr, s.lr);
  assert.deepEqual([restored.step(), restored.step()], [s.step(), s.step()]);
  assert.throws(() => restored.loadStateDict({ ...saved, lastEpoch: -1 }), /lastEpoch must be a non-negative integer/);
  opt.dispose();
  p.dispose();
});

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test('every schedule matches torch.optim.lr_scheduler over 20 steps', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const script = String.raw`
import json, warnings, torch
from torch.optim import lr_scheduler as L
warnings.filterwarnings('ignore')
def run(make, base, n=20):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    s = make(opt)
    out = [opt.param_groups[0]['lr']]
    for _ in range(n - 1):
        opt.step(); s.step(); out.append(opt.param_groups[0]['lr'])
    return out
print(json.dumps({
  'step': run(lambda o: L.StepLR(o, step_size=3, gamma=0.5), 0.1),
  'multistep': run(lambda o: L.MultiStepLR(o, milestones=[2, 5, 11], gamma=0.3), 0.7),
  'cosine': run(lambda o: L.CosineAnnealingLR(o, T_max=12, eta_min=0.01), 0.5),
  'warmup': run(lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.2, total_iters=5),
                                             L.CosineAnnealingLR(o, T_max=15 - 5, eta_min=0.001)], milestones=[5]), 0.3),
}))
`;
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const py = JSON.parse(r.stdout) as Record<string, number[]>;
  const ours: Record<string, LrSchedule> = {
    step: new StepLR(0.1, { stepSize: 3, gamma: 0.5 }),
    multistep: new MultiStepLR(0.7, { milestones: [2, 5, 11], gamma: 0.3 }),
    cosine: new CosineAnnealingLR(0.5, { tMax: 12, etaMin: 0.01 }),
    warmup: new CosineAnnealingLR(0.3, { tMax: 15, etaMin: 0.001, warmup: 5, warmupStartFactor: 0.2 }),
  };
  for (const [k, s] of Object.entries(ours)) {
    // PyTorch steps recursively; the closed form agrees up to rounding
    values(s, 20).forEach((v, t) => assert.ok(Math.abs(v - py[k][t]) <= 1e-9 * Math.abs(py[k][t]) + 1e-15, `${k} t=${t}: ${v} vs PyTorch ${py[k][t]}`));
  }
});
