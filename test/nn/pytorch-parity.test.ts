// Parity with PyTorch itself (Debian's python3-torch; skipped when it is absent): the same
// architecture built in PyTorch from the same seed has bit-identical initial weights, loads our
// safetensors by name, and gives the same logits and BatchNorm running statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, keep, noGrad, rand, saveSafetensors, tidy, type Tensor } from '../../src/tensor/index.js';
import { buildModel, saveModel } from '../../src/nn/index.js';
import { assertClose } from './reference.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

// Reads safetensors with struct + json (the python safetensors package is not installed), builds
// the architecture with torch.manual_seed(seed), and prints init equality, logits and stats.
const SCRIPT = String.raw`
import json, struct, sys, torch, torch.nn as nn
arch, seed, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DT = {'F32': torch.float32, 'I64': torch.int64, 'F64': torch.float64}
def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for k, e in head.items():
        if k == '__metadata__': continue
        a, b = e['data_offsets']
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=DT[e['dtype']])
        out[k] = t.reshape(e['shape'])
    return out
class BasicBlock(nn.Module):
    def __init__(self, i, p, s=1):
        super().__init__()
        self.conv1 = nn.Conv2d(i, p, 3, s, 1, bias=False); self.bn1 = nn.BatchNorm2d(p)
        self.conv2 = nn.Conv2d(p, p, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(p)
        self.shortcut = nn.Sequential(nn.Conv2d(i, p, 1, s, bias=False), nn.BatchNorm2d(p)) if s != 1 or i != p else None
    def forward(self, x):
        h = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(h + (self.shortcut(x) if self.shortcut is not None else x))
torch.manual_seed(seed)
if arch == 'mnist-small':
    m = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(), nn.Flatten(),
                      nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10))
else:
    st = lambda i, p, s: nn.Sequential(BasicBlock(i, p, s), BasicBlock(p, p), BasicBlock(p, p))
    m = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), st(16, 16, 1), st(16, 32, 2),
                      st(32, 64, 2), nn.AvgPool2d(8), nn.Flatten(), nn.Linear(64, 10))
init, trained, x = load(d + '/init.safetensors'), load(d + '/trained.safetensors'), load(d + '/x.safetensors')['x']
sd = m.state_dict()
same_init = list(sd.keys()) == list(init.keys()) and all(torch.equal(sd[k], init[k]) for k in sd)
m.train()
with torch.no_grad():
    train_logits = m(x)
stats = {k: v.tolist() for k, v in m.state_dict().items() if 'running' in k or 'num_batches' in k}
m.load_state_dict(trained)
m.eval()
with torch.no_grad():
    eval_logits = m(x)
print(json.dumps({'same_init': same_init, 'train': train_logits.flatten().tolist(), 'eval': eval_logits.flatten().tolist(), 'stats': stats}))
`;

function parity(arch: string, shape: number[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-parity-'));
  try {
    const model = buildModel(arch, { seed: 11 });
    saveModel(join(dir, 'init.safetensors'), model);
    const x = keep(rand(shape, { generator: new Generator(3) }));
    saveSafetensors(join(dir, 'x.safetensors'), { x });
    const ours = (m: typeof model) => tidy(() => m.forward(x).toArray());
    const trainLogits = ours(model.train()); // also moves the running statistics
    const stats = Object.fromEntries(
      model.namedBuffers().map(([k, t]: [string, Tensor]) => [k, t.toArray()]),
    );
    // perturb the weights so the eval check covers weights PyTorch did not draw itself
    noGrad(() => { for (const p of model.parameters()) p.mul_(1.5).add_(-0.01); });
    saveModel(join(dir, 'trained.safetensors'), model);
    const evalLogits = ours(model.eval());

    const r = spawnSync(PYTHON, ['-c', SCRIPT, arch, '11', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout);
    assert.equal(py.same_init, true, `${arch}: PyTorch's torch.manual_seed(11) init differs from ours`);
    assertClose(trainLogits, py.train, 1e-4, `${arch} train-mode logits`);
    assertClose(evalLogits, py.eval, 1e-4, `${arch} eval-mode logits`);
    assert.deepEqual(Object.keys(py.stats), Object.keys(stats));
    for (const [k, v] of Object.entries(stats)) assertClose([v].flat(), [py.stats[k]].flat(), 1e-5, k);
    model.dispose();
    x.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('mnist-small matches PyTorch: seeded init, names, logits', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  parity('mnist-small', [4, 1, 28, 28]);
});

test('cifar-resnet matches PyTorch: seeded init, BatchNorm train/eval, running statistics', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  parity('cifar-resnet', [4, 3, 32, 32]);
});
