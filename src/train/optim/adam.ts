// Adam (Kingma & Ba) with L2 weight decay and the AMSGrad variant: torch.optim.Adam (1.13),
// line for line, including its bias corrections and where eps enters.
import { zerosLike, type Tensor } from '../../tensor/index.js';
import { Optimizer, type OptimizerMeta } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  protected readonly name = 'adam';
  protected readonly bufferNames = ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] as const;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** Updates taken per parameter (PyTorch's state['step']). */
  private steps: number[];

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.amsgrad = opts.amsgrad ?? false;
    check(this.hyper());
    this.steps = this.params.map(() => 0);
  }

  protected update(i: number, p: Tensor, g: Tensor): void {
    const [beta1, beta2] = this.betas;
    const expAvg = this.buffer(i, 'exp_avg', () => zerosLike(p));
    const expAvgSq = this.buffer(i, 'exp_avg_sq', () => zerosLike(p));
    const step = ++this.steps[i];
    const grad = this.weightDecay !== 0 ? g.clone().add_(p, this.weightDecay) : g;
    expAvg.mul_(beta1).add_(grad, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = this.learningRate / biasCorrection1;
    let second = expAvgSq;
    if (this.amsgrad) {
      const maxSq = this.buffer(i, 'max_exp_avg_sq', () => zerosLike(p));
      maxSq.copy_(maxSq.maximum(expAvgSq));
      second = maxSq;
    }
    const denom = second.sqrt().div(biasCorrection2Sqrt).add_(this.eps);
    p.addcdiv_(expAvg, denom, -stepSize);
  }

  protected hyper() {
    return { betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }
  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    const v = check(h);
    this.betas = v.betas;
    this.eps = v.eps;
    this.weightDecay = v.weightDecay;
    this.amsgrad = v.amsgrad;
  }
  protected override meta(): OptimizerMeta {
    return { ...super.meta(), steps: [...this.steps] };
  }
  protected override validateMeta(meta: OptimizerMeta, fail: (why: string) => Error): void {
    super.validateMeta(meta, fail);
    try {
      check(meta.hyper);
    } catch (e) {
      throw fail((e as Error).message);
    }
    const s = meta.steps;
    if (!Array.isArray(s) || s.length !== this.params.length || !s.every((n) => Number.isInteger(n) && n >= 0)) {
      throw fail(`meta.steps must list one non-negative integer step count per parameter (${this.params.length})`);
    }
  }
  protected override loadMeta(meta: OptimizerMeta): void {
    this.steps = [...(meta.steps as number[])];
  }
}

function check(h: Record<string, unknown>): Required<Omit<AdamOptions, 'lr'>> {
  const { betas, eps, weightDecay, amsgrad } = h as Required<Omit<AdamOptions, 'lr'>>;
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
    throw new RangeError(`Adam: betas must be two numbers in [0, 1), got ${JSON.stringify(betas)}`);
  }
  if (!(typeof eps === 'number' && eps >= 0)) throw new RangeError(`Adam: eps must be a number ≥ 0, got ${eps}`);
  if (!(typeof weightDecay === 'number' && weightDecay >= 0)) throw new RangeError(`Adam: weightDecay must be a number ≥ 0, got ${weightDecay}`);
  if (typeof amsgrad !== 'boolean') throw new RangeError(`Adam: amsgrad must be a boolean, got ${amsgrad}`);
  return { betas: [betas[0], betas[1]], eps, weightDecay, amsgrad };
}
