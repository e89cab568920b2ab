import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Dataset, exportIdx, loadIdxPair, saveImageGrid, gridLayout, DataError } from '../../src/data/index.js';
import { listDir, tempDir } from './fixtures.js';

function sample(n: number, shape: [number, number, number], k = 10): Dataset {
  const d = shape[0] * shape[1] * shape[2];
  // Values on the byte grid so the round trip is exact; some off-grid to test rounding.
  const images = Float32Array.from({ length: n * d }, (_, j) => ((j * 37) % 256) / 255);
  images[1] = 0.5; // rounds to 128
  return new Dataset({ name: 'x', images, labels: Int32Array.from({ length: n }, (_, i) => (i * 3) % k), shape, classNames: Array.from({ length: k }, String) });
}

test('export: IDX round trip for one channel (MNIST layout) and gzip', () => {
  const ds = sample(7, [1, 5, 4]);
  const dir = tempDir();
  const p = exportIdx(ds, dir, { prefix: 'poisoned' });
  assert.equal(p.images, join(dir, 'poisoned-images-idx3-ubyte'));
  const raw = readFileSync(p.images);
  assert.equal(raw.readUInt32BE(0), 0x803);
  assert.deepEqual([raw.readUInt32BE(4), raw.readUInt32BE(8), raw.readUInt32BE(12)], [7, 5, 4]);
  const back = loadIdxPair({ name: 'back', imagesPath: p.images, labelsPath: p.labels, classNames: ds.classNames });
  assert.deepEqual(back.labels, ds.labels);
  assert.deepEqual(back.shape, ds.shape);
  assert.equal(Math.round(back.images[1] * 255), 128);
  for (let j = 0; j < ds.images.length; j++) if (j !== 1) assert.equal(back.images[j], ds.images[j]);
  const gz = exportIdx(ds, dir, { prefix: 'z', gzip: true });
  assert.equal(readFileSync(gz.images)[0], 0x1f);
  assert.deepEqual(loadIdxPair({ name: 'gz', imagesPath: gz.images, labelsPath: gz.labels, classNames: ds.classNames }).images, back.images);
});

test('export: three channels use the N×C×H×W layout and load back', () => {
  const ds = sample(3, [3, 4, 4]);
  const dir = tempDir();
  const p = exportIdx(ds, dir);
  assert.equal(readFileSync(p.images).readUInt32BE(0), 0x804);
  const back = loadIdxPair({ name: 'b', imagesPath: p.images, labelsPath: p.labels, classNames: ds.classNames });
  assert.deepEqual(back.shape, [3, 4, 4]);
  assert.deepEqual(Array.from(back.images.subarray(2)), Array.from(ds.images.subarray(2)));
});

test('export: too many classes for byte labels writes nothing', () => {
  const dir = tempDir();
  assert.throws(() => exportIdx(sample(2, [1, 2, 2], 300), dir), { name: 'DataError', message: 'export: 300 classes do not fit IDX unsigned-byte labels (at most 256)' });
  assert.deepEqual(listDir(dir), []);
});

test('image grid: a grayscale PNG that decodes to the right size and pixels', () => {
  const dir = tempDir();
  const a = Float32Array.from({ length: 6 }, (_, j) => j / 5); // 2x3
  const b = new Float32Array(6).fill(0.25);
  const c = new Float32Array(6).fill(1);
  const path = join(dir, 'grid.png');
  const layout = saveImageGrid(path, [{ pixels: a, shape: [1, 2, 3], caption: 'clean 7' }, { pixels: b, shape: [1, 2, 3] }, { pixels: c, shape: [1, 2, 3], caption: 'triggered' }], {
    columns: 2, scale: 2, padding: 1, background: 0,
  });
  const png = PNG.sync.read(readFileSync(path));
  // 2 columns of 3·2 pixels plus 3 paddings; 2 rows of 2·2 pixels plus 3 paddings.
  assert.equal(png.width, 2 * 6 + 3);
  assert.equal(png.height, 2 * 4 + 3);
  assert.deepEqual([layout.width, layout.height], [png.width, png.height]);
  const px = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
  // Image a at (1, 1), scaled ×2: source pixel (r, q) covers 2×2 output pixels.
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 6; q++) {
      const v = Math.round((Math.floor(r / 2) * 3 + Math.floor(q / 2)) / 5 * 255);
      assert.deepEqual(px(1 + q, 1 + r), [v, v, v, 255], `pixel ${q},${r}`);
    }
  }
  assert.deepEqual(px(1 + 6 + 1, 1), [64, 64, 64, 255]); // b: round(0.25·255)
  assert.deepEqual(px(1, 1 + 4 + 1), [255, 255, 255, 255]); // c, second row
  assert.deepEqual(px(0, 0), [0, 0, 0, 255]); // padding
  assert.deepEqual(px(14, 10), [0, 0, 0, 255]); // empty fourth cell
  assert.match(readFileSync(path).toString('latin1'), /tEXtDescription\x000: clean 7\n1: \n2: triggered/);
});

test('image grid: RGB when any image has three channels; grey images fill all channels', () => {
  const dir = tempDir();
  const rgb = new Float32Array(3 * 1 * 2);
  rgb.set([1, 0], 0); // red plane
  rgb.set([0, 1], 2); // green plane
  rgb.set([0.5, 0.5], 4); // blue plane
  const grey = Float32Array.from([0.2, 0.8]);
  const path = join(dir, 'rgb.png');
  saveImageGrid(path, [{ pixels: rgb, shape: [3, 1, 2] }, { pixels: grey, shape: [1, 1, 2] }], { padding: 0 });
  const png = PNG.sync.read(readFileSync(path));
  assert.deepEqual([png.width, png.height], [4, 1]);
  assert.deepEqual(Array.from(png.data), [255, 0, 128, 255, 0, 255, 128, 255, 51, 51, 51, 255, 204, 204, 204, 255]);
});

test('image grid: bad input is named and nothing is written', () => {
  const dir = tempDir();
  const path = join(dir, 'bad.png');
  const im = { pixels: new Float32Array(4), shape: [1, 2, 2] as [number, number, number] };
  assert.throws(() => saveImageGrid(path, [im, { pixels: new Float32Array(9), shape: [1, 3, 3] }]), {
    message: `image grid ${path}: image 1 is 3x3, the first is 2x2; give images of one size`,
  });
  assert.throws(() => saveImageGrid(path, [{ pixels: new Float32Array(8), shape: [2, 2, 2] }]), /image 0 has 2 channels; PNG grids take 1 \(grey\) or 3 \(RGB\)/);
  assert.throws(() => saveImageGrid(path, [im], { scale: 0 }), DataError);
  assert.throws(() => saveImageGrid(path, []), /no images given/);
  assert.equal(existsSync(path), false);
  assert.deepEqual(listDir(dir), []);
  assert.deepEqual(gridLayout(5, [1, 28, 28], { columns: 2 }).cells[3], { x: 1 + 29, y: 1 + 29 });
});
