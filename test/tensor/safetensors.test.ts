// safetensors: bit-exact round trip, a header that follows the format, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'abstain-st-'));

test('round trip is bit-exact for every dtype, with metadata', () => {
  const gen = new T.Generator(5);
  const weird = new Float32Array([0, -0, Infinity, -Infinity, 1e-45, 3.4028235e38, NaN, 1 / 3]);
  const tensors = {
    '0.weight': T.randn([16, 1, 4, 4], { generator: gen }),
    '0.bias': T.tensor(weird),
    'bn.num_batches_tracked': T.tensor(new BigInt64Array([123456789012345n]), []),
    'x.f64': T.tensor(new Float64Array([Math.PI, -1e-300])),
    'x.i32': T.tensor(new Int32Array([-5, 7])),
    'x.u8': T.tensor(new Uint8Array([0, 255, 9])),
  };
  const path = join(dir, 'model.safetensors');
  T.saveSafetensors(path, tensors, { format: 'pt', architecture: 'mnist-small' });
  const back = T.loadSafetensors(path);
  assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  assert.deepEqual(back.metadata, { format: 'pt', architecture: 'mnist-small' });
  for (const [k, t] of Object.entries(tensors)) {
    const b = back.tensors[k];
    assert.deepEqual(b.shape, t.shape, k);
    assert.equal(b.dtype, t.dtype, k);
    assert.deepEqual(Buffer.from(b.data().buffer), Buffer.from(t.data().buffer), `${k} bytes differ`);
  }
});

test('the file follows the format: u64 LE header length, JSON header, contiguous little-endian data', () => {
  const w = T.tensor([[1.5, -2], [3, 4.25]]);
  const path = join(dir, 'layout.safetensors');
  T.saveSafetensors(path, { w, b: T.tensor([7]) });
  const raw = readFileSync(path);
  // Parse independently of the library code.
  const n = Number(raw.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'data section is 8-byte aligned');
  const header = JSON.parse(raw.subarray(8, 8 + n).toString('utf8'));
  assert.deepEqual(header.w, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
  assert.deepEqual(header.b, { dtype: 'F32', shape: [1], data_offsets: [16, 20] });
  const data = raw.subarray(8 + n);
  assert.equal(data.length, 20);
  assert.deepEqual([0, 1, 2, 3].map((i) => data.readFloatLE(4 * i)), [1.5, -2, 3, 4.25]);
  assert.equal(data.readFloatLE(16), 7);
});

test('a file that is not safetensors, or is truncated, gives one clear Error', () => {
  const notSt = join(dir, 'not.safetensors');
  writeFileSync(notSt, 'hello, I am a text file and not a tensor file at all');
  assert.throws(() => T.loadSafetensors(notSt), /not a valid safetensors file \(its first 8 bytes give a header length of \d+, more than the 52-byte file holds/);
  const tiny = join(dir, 'tiny.safetensors');
  writeFileSync(tiny, Buffer.from([1, 2, 3]));
  assert.throws(() => T.loadSafetensors(tiny), /only 3 bytes/);
  const good = join(dir, 'good.safetensors');
  T.saveSafetensors(good, { w: T.zeros([100]) });
  const raw = readFileSync(good);
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, raw.subarray(0, raw.length - 10));
  assert.throws(() => T.loadSafetensors(cut), /tensor 'w' ends at byte 400 of the data, but the file holds 390 data bytes; the file is truncated/);
  const badJson = Buffer.alloc(16);
  badJson.writeBigUInt64LE(8n, 0);
  badJson.write('{{{{{{{{', 8);
  const bj = join(dir, 'badjson.safetensors');
  writeFileSync(bj, badJson);
  assert.throws(() => T.loadSafetensors(bj), /header is not JSON/);
  assert.throws(() => T.loadSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot read the weights: no such file/);
  const f16 = Buffer.from(JSON.stringify({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }));
  const hdr = Buffer.alloc(8);
  hdr.writeBigUInt64LE(BigInt(f16.length));
  const fp = join(dir, 'f16.safetensors');
  writeFileSync(fp, Buffer.concat([hdr, f16, Buffer.alloc(2)]));
  assert.throws(() => T.loadSafetensors(fp), /dtype F16; abstain reads .* \(convert it to F32 first\)/);
});

test('a failed save writes nothing: no target file and no temporary left', () => {
  const sub = mkdtempSync(join(dir, 'fail-'));
  const gone = T.zeros([2]);
  gone.dispose();
  const path = join(sub, 'half.safetensors');
  assert.throws(() => T.saveSafetensors(path, { ok: T.ones([3]), gone }), /tensor used after dispose/);
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(sub), []);
});
