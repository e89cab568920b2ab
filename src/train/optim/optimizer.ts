// The optimizer base: a flat list of parameters, per-parameter state buffers, and a state dict of
// { tensors, meta } that a checkpoint writes with saveSafetensors + JSON and reads back exactly.
import { keep, noGrad, tidy, type Tensor } from '../../tensor/index.js';

/** JSON-serialisable description of an optimizer's hyperparameters and counters. */
export interface OptimizerMeta {
  optimizer: string;
  numParams: number;
  hyper: Record<string, number | boolean | number[]>;
  /** Adam: per-parameter step counts (0 before the first update) */
  steps?: number[];
}

/** An optimizer's full state: buffers by name ("<param index>.<buffer>") and the rest as JSON. */
export interface OptimizerState {
  tensors: Record<string, Tensor>;
  meta: OptimizerMeta;
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

export abstract class Optimizer {
  readonly params: Tensor[];
  /** Per-parameter buffers by name, created on a parameter's first update. */
  protected state: Array<Map<string, Tensor>>;
  protected abstract readonly name: string;
  protected abstract readonly bufferNames: readonly string[];

  constructor(params: Iterable<Tensor>, protected learningRate: number) {
    this.params = [...params];
    if (!this.params.length) throw new RangeError('optimizer: got an empty parameter list (pass model.parameters())');
    checkLr(learningRate);
    this.state = this.params.map(() => new Map());
  }

  get lr(): number {
    return this.learningRate;
  }
  setLr(lr: number): void {
    checkLr(lr);
    this.learningRate = lr;
  }

  /** Clears every parameter's gradient (sets it to none, as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** One update of every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        this.params.forEach((p, i) => {
          const g = p.grad;
          if (g) this.update(i, p, g);
        });
      }),
    );
  }

  /** Updates parameter i in place from its gradient g (runs under noGrad and tidy). */
  protected abstract update(i: number, p: Tensor, g: Tensor): void;
  protected abstract hyper(): Record<string, number | boolean | number[]>;
  protected abstract setHyper(h: Record<string, number | boolean | number[]>): void;

  /**
   * Parameter i's state buffer `name`, created by init (on the parameter's device) at first use and
   * kept out of the step's tidy scope; moved along when the parameter has moved to another device.
   */
  protected buffer(i: number, name: string, init: () => Tensor): Tensor {
    let b = this.state[i].get(name);
    if (!b) {
      b = keep(init());
      this.state[i].set(name, b);
    } else if (b.device !== this.params[i].device) b.moveTo_(this.params[i].device);
    return b;
  }

  protected meta(): OptimizerMeta {
    return { optimizer: this.name, numParams: this.params.length, hyper: { lr: this.learningRate, ...this.hyper() } };
  }

  /** The full state; the tensors are this optimizer's own buffers (save them, do not dispose them). */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.state.forEach((m, i) => {
      for (const [name, t] of m) tensors[`${i}.${name}`] = t;
    });
    return { tensors, meta: this.meta() };
  }

  /**
   * Restores a state from stateDict() (hyperparameters included, as PyTorch does). The tensors are
   * copied, so the caller may dispose its own. Everything is checked before anything changes.
   */
  loadStateDict(s: OptimizerState): void {
    const fail = (why: string) => new Error(`${this.name}.loadStateDict: ${why}`);
    if (s.meta.optimizer !== this.name) throw fail(`the state is from a '${s.meta.optimizer}' optimizer, not '${this.name}'`);
    if (s.meta.numParams !== this.params.length) {
      throw fail(`the state covers ${s.meta.numParams} parameters, this optimizer has ${this.params.length} (was it built from the same model?)`);
    }
    for (const [key, t] of Object.entries(s.tensors)) {
      const m = /^(\d+)\.(.+)$/.exec(key);
      if (!m || Number(m[1]) >= this.params.length || !this.bufferNames.includes(m[2])) {
        throw fail(`unexpected tensor '${key}' (expected '<param index>.<${this.bufferNames.join('|')}>')`);
      }
      const p = this.params[Number(m[1])];
      if (t.shape.length !== p.shape.length || t.shape.some((d, j) => d !== p.shape[j])) {
        throw fail(`tensor '${key}' has shape ${fmt(t.shape)}, parameter ${m[1]} has ${fmt(p.shape)}`);
      }
    }
    this.validateMeta(s.meta, fail);
    this.disposeState();
    for (const [key, t] of Object.entries(s.tensors)) {
      const dot = key.indexOf('.');
      const i = Number(key.slice(0, dot));
      const p = this.params[i];
      this.state[i].set(key.slice(dot + 1), keep(noGrad(() => tidy(() => t.detach().to(p.dtype).toDevice(p.device).clone()))));
    }
    const { lr, ...rest } = s.meta.hyper;
    this.learningRate = lr as number;
    this.setHyper(rest);
    this.loadMeta(s.meta);
  }

  /** Subclasses check their own meta fields (throwing fail(...)) before anything changes. */
  protected validateMeta(meta: OptimizerMeta, fail: (why: string) => Error): void {
    checkLr(meta.hyper.lr as number);
    void fail;
  }
  protected loadMeta(meta: OptimizerMeta): void {
    void meta;
  }

  private disposeState(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
  }

  /** Frees the state buffers (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}

function checkLr(lr: number): void {
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) throw new RangeError(`optimizer: learning rate must be a finite number ≥ 0, got ${lr}`);
}
