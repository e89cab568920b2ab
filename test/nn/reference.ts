// Plain-JS reference implementations (float64 loops over flat NCHW arrays) that the layer tests
// compare libtorch against, plus a seeded PRNG for test inputs.

/** mulberry32: a small seeded PRNG, so test inputs are reproducible without libtorch. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** n values uniform in [lo, hi). */
export function uniform(n: number, rand: () => number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'value'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) throw new Error(`${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
  }
}

export interface Conv2dRef {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}
/** y[n,o,i,j] = b[o] + Σ_{c in o's group, ki, kj} w[o,c,ki,kj] · x[n, g·cin/groups + c, i·s - p + ki·d, j·s - p + kj·d] */
export function conv2dRef(
  x: number[], [n, cin, h, w]: number[], wt: number[], [cout, cpg, kh, kw]: number[], b: number[] | null, o: Conv2dRef,
): { y: number[]; shape: number[] } {
  const oh = Math.floor((h + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const ow = Math.floor((w + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const outPerGroup = cout / o.groups;
  const y = new Array<number>(n * cout * oh * ow).fill(0);
  for (let b0 = 0; b0 < n; b0++)
    for (let oc = 0; oc < cout; oc++) {
      const g = Math.floor(oc / outPerGroup);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = b ? b[oc] : 0;
          for (let c = 0; c < cpg; c++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const yi = i * o.stride[0] - o.padding[0] + ki * o.dilation[0];
                const xj = j * o.stride[1] - o.padding[1] + kj * o.dilation[1];
                if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
                const ic = g * cpg + c;
                s += wt[((oc * cpg + c) * kh + ki) * kw + kj] * x[((b0 * cin + ic) * h + yi) * w + xj];
              }
          y[((b0 * cout + oc) * oh + i) * ow + j] = s;
        }
    }
  return { y, shape: [n, cout, oh, ow] };
}

/** y = x·Wᵀ + b for x [n, in], W [out, in]. */
export function linearRef(x: number[], n: number, wt: number[], out: number, inF: number, b: number[] | null): number[] {
  const y: number[] = [];
  for (let r = 0; r < n; r++)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * wt[o * inF + i];
      y.push(s);
    }
  return y;
}

/** Max or average pooling (average counts padding, as count_include_pad=True). */
export function pool2dRef(
  kind: 'max' | 'avg', x: number[], [n, c, h, w]: number[], k: [number, number], s: [number, number], p: [number, number],
): { y: number[]; shape: number[] } {
  const oh = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  const y: number[] = [];
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let ki = 0; ki < k[0]; ki++)
            for (let kj = 0; kj < k[1]; kj++) {
              const yi = i * s[0] - p[0] + ki;
              const xj = j * s[1] - p[1] + kj;
              const inside = yi >= 0 && yi < h && xj >= 0 && xj < w;
              const v = inside ? x[((b * c + ch) * h + yi) * w + xj] : kind === 'max' ? -Infinity : 0;
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
            }
          y.push(kind === 'max' ? acc : acc / (k[0] * k[1]));
        }
  return { y, shape: [n, c, oh, ow] };
}

/** Per-channel mean and biased/unbiased variance over N, H, W. */
export function channelStats(x: number[], [n, c, h, w]: number[]): { mean: number[]; varBiased: number[]; varUnbiased: number[] } {
  const m = n * h * w;
  const mean: number[] = [];
  const varBiased: number[] = [];
  const varUnbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < h * w; i++) s += x[(b * c + ch) * h * w + i];
    const mu = s / m;
    let ss = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < h * w; i++) ss += (x[(b * c + ch) * h * w + i] - mu) ** 2;
    mean.push(mu);
    varBiased.push(ss / m);
    varUnbiased.push(ss / (m - 1));
  }
  return { mean, varBiased, varUnbiased };
}

/** (x - mean[c]) / √(var[c] + eps) · γ[c] + β[c] */
export function normalizeRef(x: number[], [n, c, h, w]: number[], mean: number[], v: number[], gamma: number[], beta: number[], eps: number): number[] {
  return x.map((val, idx) => {
    const ch = Math.floor(idx / (h * w)) % c;
    void n;
    return ((val - mean[ch]) / Math.sqrt(v[ch] + eps)) * gamma[ch] + beta[ch];
  });
}
