// The device seam: device names and their errors, the default device, moving tensors and modules,
// reading values back through the CPU, inference mode, memory layouts, and the large-block cache.
// Nothing here needs a GPU; the CPU-vs-GPU agreement tests live in test/gpu/ and skip without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.js';
import { Conv2d, Linear, ReLU, Flatten, Sequential, buildModel } from '../../src/nn/index.js';
import { Adam } from '../../src/train/optim/adam.js';

const info = T.torchInfo();

test('torchInfo says which libtorch is linked and what it offers', () => {
  assert.equal(info.version, T.torchVersion());
  assert.match(info.library, /libtorch_cpu\.so/);
  assert.equal(typeof info.cudaCompiled, 'boolean');
  if (!info.cudaCompiled) assert.equal(info.cudaAvailable, false);
  assert.equal(info.cudaDeviceCount > 0, info.cudaAvailable);
  const v = T.torchVersions();
  assert.equal(v.libtorch, info.version);
  assert.match(v['libtorch build'], /(CPU|CUDA) libtorch/);
  assert.match(v.cuda, info.cudaCompiled ? /GPU/ : /^not compiled in$/);
});

test('parseDevice accepts cpu, cuda and cuda:N and names the problem and the fix otherwise', () => {
  assert.equal(T.parseDevice('cpu'), 'cpu');
  assert.equal(T.parseDevice(' cpu '), 'cpu');
  for (const bad of ['gpu', 'cpu:1', 'cuda:x', 'cuda:-1', '', 'CUDA']) {
    assert.throws(() => T.parseDevice(bad), (e: Error) => e instanceof T.DeviceError && /is not a device \(use cpu, cuda or cuda:N\)/.test(e.message), bad);
  }
  if (!info.cudaCompiled) {
    assert.throws(
      () => T.parseDevice('cuda'),
      /^Error: device cuda: this libtorch was built without CUDA \(it is .*CPU libtorch .*\); build against a CUDA PyTorch, see README$/,
    );
  } else if (!info.cudaAvailable) {
    assert.throws(() => T.parseDevice('cuda:0'), /device cuda:0: no CUDA GPU is available/);
  } else {
    assert.equal(T.parseDevice('cuda'), 'cuda:0');
    const n = info.cudaDeviceCount;
    assert.throws(() => T.parseDevice(`cuda:${n}`), new RegExp(`device cuda:${n}: only ${n} CUDA device`));
  }
  // one line each
  for (const bad of ['gpu', 'cuda:99']) {
    try {
      T.parseDevice(bad);
    } catch (e) {
      assert.ok(!(e as Error).message.includes('\n'));
    }
  }
});

test('defaultDevice is CUDA exactly when the libtorch has it and a GPU is present', () => {
  assert.equal(T.defaultDevice(), info.cudaCompiled && info.cudaAvailable ? 'cuda:0' : 'cpu');
});

test('factories and random draws take a device; default is the CPU', () => {
  T.tidy(() => {
    for (const t of [
      T.tensor([1, 2, 3]),
      T.tensor([1, 2, 3], [3], 'float32', 'cpu'),
      T.zeros([2], 'float32', 'cpu'),
      T.ones([2], 'int64', 'cpu'),
      T.full([2], 7, 'float32', 'cpu'),
      T.eye(2, 'float32', 'cpu'),
      T.arange(0, 4, 1, 'int64', 'cpu'),
      T.fromInt32([1, 2], undefined, 'cpu'),
      T.scalar(3, 'float32', 'cpu'),
      T.randn([3], { generator: new T.Generator(1) }),
      T.rand([3], { device: 'cpu' }),
      T.randint(0, 5, [3], new T.Generator(2), 'cpu'),
      T.randperm(4, new T.Generator(3), 'cpu'),
    ]) {
      assert.equal(t.device, 'cpu');
    }
    assert.equal(new T.Generator(5).device, 'cpu');
    assert.equal(new T.Generator(5, 'cpu').device, 'cpu');
    const t = T.tensor([1.5, -2], [2]);
    assert.deepEqual(Array.from(t.toDevice('cpu').toFloat32Array()), [1.5, -2]);
    assert.deepEqual(Array.from(t.cpu().toFloat32Array()), [1.5, -2]);
    assert.ok(T.sameDevice('cuda', 'cuda:0') && !T.sameDevice('cpu', 'cuda:0'));
  });
});

test('a device libtorch cannot use is a JS error, not a crash', () => {
  if (info.cudaAvailable) return;
  assert.throws(() => T.zeros([2], 'float32', 'cuda:0'));
  assert.throws(() => new T.Generator(1, 'cuda:0'));
});

test('module.to moves parameters in place: the same tensor objects, requiresGrad and grads kept', () => {
  const model = buildModel('mnist-small', { seed: 1 });
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-3 });
  T.tidy(() => model.forward(T.rand([2, 1, 28, 28])).sum().backward());
  const grad0 = T.tidy(() => params[0].grad!.toFloat32Array());
  const before = params.map((p) => Array.from(p.toFloat32Array()));
  assert.equal(model.to('cpu'), model);
  assert.equal(model.device, 'cpu');
  const after = model.parameters();
  after.forEach((p, i) => {
    assert.equal(p, params[i], 'the same Tensor object');
    assert.ok(p.requiresGrad);
    assert.deepEqual(Array.from(p.toFloat32Array()), before[i]);
  });
  assert.deepEqual(T.tidy(() => params[0].grad!.toFloat32Array()), grad0);
  opt.step(); // the optimizer still updates the model's own tensors
  assert.notDeepEqual(Array.from(params[0].toFloat32Array()), before[0]);
  opt.dispose();
  model.dispose();
});

test('moveTo_ keeps the handle, so every holder sees the moved tensor', () => {
  const t = T.keep(T.tensor([1, 2, 3]).requiresGrad_());
  const live = T.liveTensors();
  t.moveTo_('cpu');
  assert.equal(T.liveTensors(), live);
  assert.equal(t.device, 'cpu');
  assert.ok(t.requiresGrad);
  t.dispose();
});

test('inferenceMode turns autograd off inside, restores it after, and survives exceptions', () => {
  assert.ok(T.isGradEnabled());
  const w = T.keep(T.tensor([2]).requiresGrad_());
  const y = T.inferenceMode(() => {
    assert.ok(!T.isGradEnabled());
    assert.ok(T.isInferenceMode());
    const inner = T.inferenceMode(() => w.mul(3));
    assert.ok(T.isInferenceMode(), 'still inside after a nested block');
    return inner;
  });
  assert.ok(T.isGradEnabled());
  assert.ok(!T.isInferenceMode());
  assert.ok(!y.requiresGrad);
  assert.deepEqual(y.toArray(), [6]);
  assert.throws(() => T.inferenceMode(() => { throw new Error('boom'); }), /boom/);
  assert.ok(!T.isInferenceMode() && T.isGradEnabled());
  assert.throws(() => T.inferenceMode(() => Promise.resolve(1)), /must be synchronous/);
  assert.ok(!T.isInferenceMode());
  y.dispose();
  w.dispose();
});

test('channels-last keeps shape and values, only the memory order changes', () => {
  T.tidy(() => {
    const x = T.rand([2, 3, 4, 5], { generator: new T.Generator(4) });
    const cl = x.contiguous('channels-last');
    assert.deepEqual(cl.shape, [2, 3, 4, 5]);
    assert.ok(cl.isContiguous('channels-last') && !cl.isContiguous());
    assert.deepEqual(Array.from(cl.toFloat32Array()), Array.from(x.toFloat32Array()), 'values read back in NCHW order');
    assert.throws(() => x.contiguous('nhwc' as T.MemoryFormat), /unknown memory format 'nhwc'/);
  });
});

test('Conv2d on the CPU without autograd, channels-last, equals the plain layout and the autograd path', () => {
  const conv = new Conv2d(3, 8, 3, { stride: 2, padding: 1, generator: new T.Generator(5) });
  T.tidy(() => {
    const x = T.rand([4, 3, 9, 9], { generator: new T.Generator(6) });
    const withGrad = conv.forward(x).toFloat32Array();
    const before = Conv2d.cpuInferenceLayout;
    Conv2d.cpuInferenceLayout = 'channels-last';
    const fast = T.noGrad(() => conv.forward(x));
    Conv2d.cpuInferenceLayout = 'contiguous';
    const plain = T.noGrad(() => conv.forward(x));
    Conv2d.cpuInferenceLayout = before;
    assert.ok(fast.isContiguous('channels-last'), 'the inference path ran channels-last');
    assert.ok(plain.isContiguous());
    const [a, b] = [fast.toFloat32Array(), plain.toFloat32Array()];
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 && Math.abs(a[i] - withGrad[i]) <= 1e-5, `element ${i}: ${a[i]} vs ${b[i]} vs ${withGrad[i]}`);
    }
  });
  conv.dispose();
});

test("Sequential's in-place ReLU never changes the caller's input and gives ReLU's values", () => {
  const g = new T.Generator(7);
  // ReLU first (acts on the input itself) and right after Flatten (a view of the input): not in place
  const net = new Sequential(new ReLU(), new Flatten(), new ReLU(), new Linear(12, 5, { generator: g }), new ReLU(), new Linear(5, 2, { generator: g }));
  T.tidy(() => {
    const x = T.randn([3, 1, 3, 4], { generator: g });
    const copy = Array.from(x.toFloat32Array());
    const y = T.noGrad(() => net.forward(x)).toFloat32Array();
    assert.deepEqual(Array.from(x.toFloat32Array()), copy, 'input unchanged');
    const ref = net.layers[5].forward(net.layers[3].forward(x.relu().flatten(1)).relu()).toFloat32Array();
    assert.deepEqual(Array.from(y), Array.from(ref));
  });
  net.dispose();
});

test('large CPU blocks come from the cache and are reused after they are freed', (t) => {
  const s0 = T.cpuCacheStats();
  if (!s0.enabled) return t.skip('ABSTAIN_CPU_CACHE_MB=0');
  const a = T.zeros([1 << 20]); // 4 MiB
  const s1 = T.cpuCacheStats();
  assert.ok(s1.liveBytes >= s0.liveBytes + (4 << 20));
  a.dispose();
  const b = T.ones([1 << 20]);
  const s2 = T.cpuCacheStats();
  assert.ok(s2.hits > s1.hits, 'the freed block was reused');
  assert.deepEqual(T.tidy(() => b.slice(0, 0, 4).toArray()), [1, 1, 1, 1]);
  b.dispose();
  // A stream of blocks of many sizes (and small tensors kept alive between them, which would
  // pin glibc's heap): the cache stays within its limit and hands everything back.
  const keepers: T.Tensor[] = [];
  for (let i = 0; i < 60; i++) {
    T.tidy(() => T.zeros([(1 << 18) + i * 40000]).add(1).sum());
    keepers.push(T.keep(T.zeros([16])));
  }
  const s3 = T.cpuCacheStats();
  assert.ok(s3.cachedBytes <= 256 << 20, `cached ${s3.cachedBytes}`);
  assert.equal(s3.liveBytes, s0.liveBytes, 'every large block is back in the cache or unmapped');
  T.dispose(keepers);
});
