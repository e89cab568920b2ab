// Bounds through MaxPool2d (padding counts as -∞, floor mode). Intervals: monotone, so endpoint
// to endpoint. Linear relaxation of y = max_j x_j over each window, with l <= x <= u:
// - lower line y >= x_{j*}, for j* the window input with the largest lower bound (any j is valid);
// - upper line y <= x_{j*} when j* dominates (l_{j*} >= u_j for every other j of the window, so
//   y = x_{j*} exactly), else the constant y <= max_j u_j.
// Both lines use the same input j*, so each window's coefficient goes to one input (scatter-add).
import { cat, full, maxPool2d as maxPoolOp, tensor, zeros, type Device, type Tensor } from '../../tensor/index.js';
import type { MaxPool2d } from '../../nn/index.js';
import type { BoundModule } from './types.js';

/**
 * For each window position l (of L = Ho·Wo) and offset k (of K = kh·kw), the flat index h·W + w
 * of the input it reads, or H·W for padding: [K·L] int64.
 */
function windowIndex(layer: MaxPool2d, H: number, W: number, device: Device): { index: Tensor; K: number; L: number } {
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.stride;
  const [ph, pw] = layer.padding;
  const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
  const K = kh * kw;
  const L = Ho * Wo;
  const idx = new Int32Array(K * L);
  for (let di = 0; di < kh; di++) {
    for (let dj = 0; dj < kw; dj++) {
      const base = (di * kw + dj) * L;
      for (let ho = 0; ho < Ho; ho++) {
        for (let wo = 0; wo < Wo; wo++) {
          const h = ho * sh - ph + di;
          const w = wo * sw - pw + dj;
          idx[base + ho * Wo + wo] = h >= 0 && h < H && w >= 0 && w < W ? h * W + w : H * W;
        }
      }
    }
  }
  return { index: tensor(idx, [K * L], 'int32', device).to('int64'), K, L };
}

export const maxPool2d: BoundModule<MaxPool2d> = {
  kind: 'MaxPool2d',
  affine: false,
  interval(layer, lo, hi) {
    const o = { stride: layer.stride, padding: layer.padding };
    return [maxPoolOp(lo, layer.kernelSize, o), maxPoolOp(hi, layer.kernelSize, o)];
  },
  backward(layer, A, ctx) {
    if (!ctx.lower || !ctx.upper) throw new Error('crown: MaxPool2d needs the bounds of its input');
    const [B, C, H, W] = ctx.lower.shape;
    const [Ba, S] = A.shape;
    const { index, K, L } = windowIndex(layer, H, W, ctx.lower.device);
    // the windows of a bound, [B, C, K, L], padding read as -∞
    const windows = (t: Tensor) =>
      cat([t.reshape([B, C, H * W]), full([B, C, 1], -Infinity, t.dtype, t.device)], 2).indexSelect(2, index).reshape([B, C, K, L]);
    const lw = windows(ctx.lower);
    const uw = windows(ctx.upper);
    const jStar = lw.argmax(2, true); // [B, C, 1, L]
    const lStar = lw.gather(2, jStar);
    const othersMax = uw.scatter(2, jStar, full([B, C, 1, L], -Infinity, uw.dtype, uw.device)).max(2, true);
    const loose = lStar.lt(othersMax).to(A.dtype).reshape([B, 1, C, L]); // 1 where j* does not dominate
    const position = index.reshape([1, 1, K, L]).expand([B, C, K, L]).gather(2, jStar).reshape([B, 1, C, L]);
    // A·y >= A⁺·x_{j*} + A⁻·(upper line): A⁻ takes x_{j*} where j* dominates, the constant elsewhere
    const a = A.reshape([Ba, S, C, L]);
    const neg = a.clamp(null, 0);
    const coef = a.sub(neg.mul(loose)).expand([B, S, C, L]);
    const upperConst = uw.max(2).reshape([B, C * L, 1]).mul(loose.reshape([B, C * L, 1]));
    const bias = neg.reshape([Ba, S, C * L]).matmul(upperConst).squeeze(2);
    const At = zeros([B, S, C, H * W], coef.dtype, coef.device).scatterAdd(3, position.expand([B, S, C, L]), coef);
    return { A: At.reshape([B, S, C, H, W]), bias };
  },
};
