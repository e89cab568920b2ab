// SGD with momentum, dampening, Nesterov momentum and weight decay: torch.optim.SGD (1.13),
// line for line.
import type { Tensor } from '../../tensor/index.js';
import { Optimizer } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  protected readonly name = 'sgd';
  protected readonly bufferNames = ['momentum_buffer'] as const;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    check(this.hyper());
  }

  protected update(i: number, p: Tensor, g: Tensor): void {
    let d = g;
    if (this.weightDecay !== 0) d = g.clone().add_(p, this.weightDecay);
    if (this.momentum !== 0) {
      const fresh = !this.state[i].has('momentum_buffer');
      const buf = this.buffer(i, 'momentum_buffer', () => d.clone());
      if (!fresh) buf.mul_(this.momentum).add_(d, 1 - this.dampening);
      d = this.nesterov ? d.clone().add_(buf, this.momentum) : buf;
    }
    p.add_(d, -this.learningRate);
  }

  protected hyper() {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    const v = check(h);
    Object.assign(this, v);
  }
  protected override validateMeta(meta: Parameters<Optimizer['validateMeta']>[0], fail: (why: string) => Error): void {
    super.validateMeta(meta, fail);
    try {
      check(meta.hyper);
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
}

function check(h: Record<string, unknown>): Required<Omit<SGDOptions, 'lr'>> {
  const { momentum, dampening, nesterov, weightDecay } = h as Required<Omit<SGDOptions, 'lr'>>;
  for (const [k, v] of Object.entries({ momentum, dampening, weightDecay })) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`SGD: ${k} must be a finite number ≥ 0, got ${v}`);
  }
  if (typeof nesterov !== 'boolean') throw new RangeError(`SGD: nesterov must be a boolean, got ${nesterov}`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires momentum > 0 and dampening = 0');
  return { momentum, dampening, nesterov, weightDecay };
}
