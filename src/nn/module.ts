// Module: the base of every layer and model. Parameters and buffers are named as in PyTorch's
// state dicts (Sequential children "0", "1", …; nested modules dotted), so weights move between
// abstain and PyTorch unchanged.
import { noGrad, type Device, type Tensor } from '../tensor/index.js';

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true); false ignores missing and unexpected keys. */
  strict?: boolean;
}

const fmtShape = (s: readonly number[]) => `[${s.join(',')}]`;

export abstract class Module {
  /** Train mode (batch statistics in BatchNorm) or eval mode (running statistics). */
  training = true;

  abstract forward(x: Tensor): Tensor;

  /** Direct sub-modules with their state-dict names, in registration order. */
  children(): Array<[string, Module]> {
    return [];
  }
  /** This module's own learnable tensors (null for an absent bias, skipped in listings). */
  protected ownParameters(): Array<[string, Tensor | null]> {
    return [];
  }
  /** This module's own non-learnable state (BatchNorm's running statistics). */
  protected ownBuffers(): Array<[string, Tensor]> {
    return [];
  }

  /** Every sub-module, depth first, with dotted names ('' is this module). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(): Array<[string, Tensor]> {
    return this.collect((m) => m.ownParameters());
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(): Array<[string, Tensor]> {
    return this.collect((m) => m.ownBuffers());
  }

  private collect(own: (m: Module) => Array<[string, Tensor | null]>): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of own(m)) if (t) out.push([prefix ? `${prefix}.${name}` : name, t]);
    }
    return out;
  }

  /**
   * Parameters and buffers by PyTorch name, in PyTorch's order (each module's parameters, then its
   * buffers, then its children). The values are the module's own tensors, not copies: read them,
   * save them, but do not dispose them.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of [...m.ownParameters(), ...m.ownBuffers()]) if (t) out[prefix ? `${prefix}.${name}` : name] = t;
    }
    return out;
  }

  /**
   * Copies values from sd into this module's tensors in place (so references held elsewhere, e.g.
   * by an optimizer or a certifier, stay valid). Every key and shape is checked before anything is
   * copied, so a failed load leaves the module unchanged.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: LoadStateDictOptions = {}): void {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    if (strict) {
      for (const key of Object.keys(own)) {
        if (!(key in sd)) throw new Error(`loadStateDict: missing key '${key}' (pass {strict: false} to load a partial state dict)`);
      }
      for (const key of Object.keys(sd)) {
        if (!(key in own)) {
          throw new Error(`loadStateDict: unexpected key '${key}' (the model has no such parameter or buffer; pass {strict: false} to ignore it)`);
        }
      }
    }
    const pairs = Object.entries(own).filter(([k]) => k in sd);
    for (const [key, t] of pairs) {
      const src = sd[key];
      if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new Error(`loadStateDict: state dict '${key}' has shape ${fmtShape(src.shape)}, model expects ${fmtShape(t.shape)}`);
      }
    }
    noGrad(() => {
      for (const [key, t] of pairs) t.copy_(sd[key]);
    });
  }

  /** Switches this module and every sub-module to train mode (or eval mode with on=false). */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to the device in place, as PyTorch's module.to(device): the
   * tensors stay the same objects (an optimizer built from model.parameters() keeps working), their
   * data moves. Build the optimizer's state on the device by moving the model before training.
   */
  to(device: Device): this {
    for (const t of Object.values(this.stateDict())) t.moveTo_(device);
    return this;
  }

  /** The device of the first parameter or buffer ('cpu' for a module without any). */
  get device(): Device {
    const first = Object.values(this.stateDict())[0];
    return first ? first.device : 'cpu';
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Frees every parameter and buffer; the module is unusable afterwards. */
  dispose(): void {
    for (const t of Object.values(this.stateDict())) if (!t.isDisposed) t.dispose();
  }
}
