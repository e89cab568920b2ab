// Export: a data set as IDX files (what MNIST tools and PyTorch's torchvision readers take), and a
// PNG grid of images so a person can compare clean and triggered inputs side by side.
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../util/atomic.js';
import type { Dataset, ImageShape } from './dataset.js';
import { DataError } from './errors.js';
import { encodeIdx, encodeIdxFloat32, unitToBytes } from './idx.js';

export interface IdxExportOptions {
  /** File name prefix (default "train"): <prefix>-images-idx3-ubyte (idx4 for several channels), <prefix>-labels-idx1-ubyte. */
  prefix?: string;
  gzip?: boolean;
}

/**
 * Writes images (bytes, rounded from [0, 1]) and labels as IDX. One-channel sets use MNIST's
 * N×H×W layout (0x00000803, named -idx3-); others N×C×H×W (0x00000804, named -idx4-). The labels
 * file holds hard labels; a set with soft targets also gets them as an N×K float32 IDX file
 * (<prefix>-soft-labels-idx2-float, type 0x0D), since the hard labels alone would lose what the
 * victim trains on. Returns the paths.
 */
export function exportIdx(ds: Dataset, dir: string, o: IdxExportOptions = {}): { images: string; labels: string; softLabels?: string } {
  const prefix = o.prefix ?? 'train';
  const ext = o.gzip ? '.gz' : '';
  const [c, h, w] = ds.shape;
  const dims = c === 1 ? [ds.length, h, w] : [ds.length, c, h, w];
  if (ds.length === 0) throw new DataError(`export: data set ${ds.name} is empty; nothing to write`);
  if (ds.numClasses > 256) throw new DataError(`export: ${ds.numClasses} classes do not fit IDX unsigned-byte labels (at most 256)`);
  // Encode both before writing either, so a failure writes nothing.
  const images = encodeIdx(dims, unitToBytes(ds.images), o.gzip);
  const labels = encodeIdx([ds.length], Uint8Array.from(ds.labels), o.gzip);
  const soft = ds.softLabels ? encodeIdxFloat32([ds.length, ds.numClasses], ds.softLabels, o.gzip) : undefined;
  const paths: { images: string; labels: string; softLabels?: string } = {
    images: join(dir, `${prefix}-images-idx${dims.length}-ubyte${ext}`),
    labels: join(dir, `${prefix}-labels-idx1-ubyte${ext}`),
  };
  if (soft) paths.softLabels = join(dir, `${prefix}-soft-labels-idx2-float${ext}`);
  writeFileAtomic(paths.images, images);
  writeFileAtomic(paths.labels, labels);
  if (soft) writeFileAtomic(paths.softLabels!, soft);
  return paths;
}

export interface GridImage {
  /** C×H×W values in [0, 1] (C is 1 or 3). */
  pixels: Float32Array;
  shape: ImageShape;
  caption?: string;
}

export interface GridOptions {
  /** Images per row (default: all in one row, at most 8). */
  columns?: number;
  /** Integer upscaling, nearest neighbour (default 1). */
  scale?: number;
  /** Pixels between cells and around the grid (default 1). */
  padding?: number;
  /** Grey level of the padding in [0, 1] (default 1, white). */
  background?: number;
}

export interface GridLayout {
  width: number;
  height: number;
  /** Top-left pixel of each cell, in image order. */
  cells: { x: number; y: number }[];
}

/** The grid's geometry: cell i sits at column i mod columns, row floor(i / columns). */
export function gridLayout(count: number, shape: ImageShape, o: GridOptions = {}): GridLayout {
  const columns = o.columns ?? Math.min(count, 8);
  const scale = o.scale ?? 1;
  const pad = o.padding ?? 1;
  if (!Number.isInteger(columns) || columns < 1) throw new DataError(`image grid: columns must be a positive integer, got ${columns}`);
  if (!Number.isInteger(scale) || scale < 1) throw new DataError(`image grid: scale must be a positive integer, got ${scale}`);
  if (!Number.isInteger(pad) || pad < 0) throw new DataError(`image grid: padding must be a non-negative integer, got ${pad}`);
  const rows = Math.ceil(count / columns);
  const cw = shape[2] * scale;
  const ch = shape[1] * scale;
  const cells = Array.from({ length: count }, (_, i) => ({ x: pad + (i % columns) * (cw + pad), y: pad + Math.floor(i / columns) * (ch + pad) }));
  return { width: pad + columns * (cw + pad), height: pad + rows * (ch + pad), cells };
}

/**
 * Saves images as one PNG grid: grayscale when every image has one channel, RGB otherwise.
 * Captions go into the PNG's tEXt "Description" chunk, one line per cell in order.
 */
export function saveImageGrid(path: string, images: GridImage[], o: GridOptions = {}): GridLayout {
  if (!images.length) throw new DataError(`image grid ${path}: no images given`);
  const [, h, w] = images[0].shape;
  for (const [i, im] of images.entries()) {
    const [c, hh, ww] = im.shape;
    if (hh !== h || ww !== w) throw new DataError(`image grid ${path}: image ${i} is ${hh}x${ww}, the first is ${h}x${w}; give images of one size`);
    if (c !== 1 && c !== 3) throw new DataError(`image grid ${path}: image ${i} has ${c} channels; PNG grids take 1 (grey) or 3 (RGB)`);
    if (im.pixels.length !== c * hh * ww) throw new DataError(`image grid ${path}: image ${i} has ${im.pixels.length} values, expected ${c * hh * ww} for [${im.shape.join(', ')}]`);
  }
  const bg = o.background ?? 1;
  if (!(bg >= 0 && bg <= 1)) throw new DataError(`image grid ${path}: background ${bg} is outside [0, 1]`);
  const layout = gridLayout(images.length, images[0].shape, o);
  const scale = o.scale ?? 1;
  const rgb = images.some((im) => im.shape[0] === 3);
  const bpp = rgb ? 3 : 1;
  const buf = Buffer.alloc(layout.width * layout.height * bpp, Math.round(bg * 255));
  const byte = (v: number) => (v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0);
  images.forEach((im, i) => {
    const { x: x0, y: y0 } = layout.cells[i];
    const c = im.shape[0];
    for (let r = 0; r < h * scale; r++) {
      for (let q = 0; q < w * scale; q++) {
        const src = Math.floor(r / scale) * w + Math.floor(q / scale);
        const dst = ((y0 + r) * layout.width + x0 + q) * bpp;
        for (let ch = 0; ch < bpp; ch++) buf[dst + ch] = byte(im.pixels[(c === 1 ? 0 : ch) * h * w + src]);
      }
    }
  });
  const colorType = rgb ? 2 : 0;
  const png = new PNG({ width: layout.width, height: layout.height, colorType, inputColorType: colorType, inputHasAlpha: false });
  png.data = buf;
  let bytes: Uint8Array = PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
  const captions = images.map((im, i) => `${i}: ${im.caption ?? ''}`);
  if (images.some((im) => im.caption)) bytes = withTextChunk(bytes, 'Description', captions.join('\n'));
  writeFileAtomic(path, bytes);
  return layout;
}

/** Inserts a tEXt chunk (keyword, Latin-1 text) before IEND. */
function withTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  const body = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text.replace(/[^\x0a\x20-\x7e\xa0-\xff]/g, '?'), 'latin1')]);
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
