// Learning-rate schedules in PyTorch's closed forms. t counts epochs or steps, whichever the
// caller steps the schedule by (PyTorch's last_epoch); lrAt(t) is pure, step() advances t and
// sets the new rate on an optimizer.

export type ScheduleSpec =
  /** lr·gamma^⌊t/stepSize⌋ (torch.optim.lr_scheduler.StepLR) */
  | { kind: 'step'; stepSize: number; gamma?: number }
  /** lr·gamma^(number of milestones ≤ t) (MultiStepLR) */
  | { kind: 'multistep'; milestones: number[]; gamma?: number }
  /**
   * Cosine annealing from lr to etaMin, reached at t = tMax. With warmup > 0 the first warmup steps
   * rise linearly from lr·warmupStartFactor, then the cosine runs over the remaining tMax − warmup:
   * PyTorch's SequentialLR([LinearLR(warmupStartFactor, total_iters=warmup),
   * CosineAnnealingLR(T_max=tMax − warmup, eta_min)], milestones=[warmup]). Past tMax the cosine
   * rises again, as PyTorch's does.
   */
  | { kind: 'cosine'; tMax: number; etaMin?: number; warmup?: number; warmupStartFactor?: number };

export interface ScheduleState {
  baseLr: number;
  spec: ScheduleSpec;
  lastEpoch: number;
}

const isInt = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;

/** Fills defaults and checks a spec; throws one line naming the bad field. */
function resolve(spec: ScheduleSpec): Required<ScheduleSpec> {
  const bad = (why: string) => new RangeError(`${spec.kind} schedule: ${why}`);
  switch (spec.kind) {
    case 'step': {
      const gamma = spec.gamma ?? 0.1;
      if (!isInt(spec.stepSize, 1)) throw bad(`stepSize must be a positive integer, got ${spec.stepSize}`);
      if (!(gamma > 0)) throw bad(`gamma must be > 0, got ${gamma}`);
      return { kind: 'step', stepSize: spec.stepSize, gamma };
    }
    case 'multistep': {
      const gamma = spec.gamma ?? 0.1;
      const m = spec.milestones;
      if (!Array.isArray(m) || !m.every((x, i) => isInt(x, 0) && (i === 0 || x > m[i - 1]))) {
        throw bad(`milestones must be increasing non-negative integers, got ${JSON.stringify(m)}`);
      }
      if (!(gamma > 0)) throw bad(`gamma must be > 0, got ${gamma}`);
      return { kind: 'multistep', milestones: [...m], gamma };
    }
    case 'cosine': {
      const etaMin = spec.etaMin ?? 0;
      const warmup = spec.warmup ?? 0;
      const warmupStartFactor = spec.warmupStartFactor ?? 1 / 3;
      if (!isInt(warmup, 0)) throw bad(`warmup must be a non-negative integer, got ${warmup}`);
      if (!isInt(spec.tMax, warmup + 1)) throw bad(`tMax must be an integer greater than warmup (${warmup}), got ${spec.tMax}`);
      if (!(etaMin >= 0)) throw bad(`etaMin must be ≥ 0, got ${etaMin}`);
      if (!(warmupStartFactor > 0 && warmupStartFactor <= 1)) throw bad(`warmupStartFactor must be in (0, 1], got ${warmupStartFactor}`);
      return { kind: 'cosine', tMax: spec.tMax, etaMin, warmup, warmupStartFactor };
    }
    default:
      throw new RangeError(`unknown schedule '${(spec as { kind: string }).kind}' (known: step, multistep, cosine)`);
  }
}

export class LrSchedule {
  private spec: Required<ScheduleSpec>;
  /** Epochs (or steps) taken so far; lr is lrAt(lastEpoch). */
  lastEpoch = 0;

  constructor(private base: number, spec: ScheduleSpec, private optimizer?: { setLr(lr: number): void }) {
    if (!(Number.isFinite(base) && base >= 0)) throw new RangeError(`schedule: base learning rate must be a finite number ≥ 0, got ${base}`);
    this.spec = resolve(spec);
    optimizer?.setLr(this.lr);
  }

  get baseLr(): number {
    return this.base;
  }

  /** The learning rate at epoch (or step) t ≥ 0. */
  lrAt(t: number): number {
    if (!isInt(t, 0)) throw new RangeError(`schedule: t must be a non-negative integer, got ${t}`);
    const s = this.spec;
    const base = this.base;
    switch (s.kind) {
      case 'step':
        return base * s.gamma ** Math.floor(t / s.stepSize);
      case 'multistep':
        return base * s.gamma ** s.milestones.filter((m) => m <= t).length;
      case 'cosine': {
        if (t < s.warmup) return base * (s.warmupStartFactor + ((1 - s.warmupStartFactor) * t) / s.warmup);
        const tCur = t - s.warmup;
        const tMax = s.tMax - s.warmup;
        return s.etaMin + ((base - s.etaMin) * (1 + Math.cos((Math.PI * tCur) / tMax))) / 2;
      }
    }
  }

  /** The current learning rate. */
  get lr(): number {
    return this.lrAt(this.lastEpoch);
  }

  /** Advances one epoch (or step), sets the new rate on the attached optimizer, and returns it. */
  step(): number {
    this.lastEpoch++;
    const lr = this.lr;
    this.optimizer?.setLr(lr);
    return lr;
  }

  stateDict(): ScheduleState {
    return { baseLr: this.base, spec: structuredClone(this.spec), lastEpoch: this.lastEpoch };
  }

  /** Restores a state from stateDict() and sets its rate on the attached optimizer. */
  loadStateDict(s: ScheduleState): void {
    const spec = resolve(s.spec);
    if (!isInt(s.lastEpoch, 0)) throw new RangeError(`schedule: lastEpoch must be a non-negative integer, got ${s.lastEpoch}`);
    if (!(Number.isFinite(s.baseLr) && s.baseLr >= 0)) throw new RangeError(`schedule: baseLr must be a finite number ≥ 0, got ${s.baseLr}`);
    this.spec = spec;
    this.base = s.baseLr;
    this.lastEpoch = s.lastEpoch;
    this.optimizer?.setLr(this.lr);
  }
}

/** torch.optim.lr_scheduler.StepLR */
export class StepLR extends LrSchedule {
  constructor(baseLr: number, opts: { stepSize: number; gamma?: number }, optimizer?: { setLr(lr: number): void }) {
    super(baseLr, { kind: 'step', ...opts }, optimizer);
  }
}
/** torch.optim.lr_scheduler.MultiStepLR */
export class MultiStepLR extends LrSchedule {
  constructor(baseLr: number, opts: { milestones: number[]; gamma?: number }, optimizer?: { setLr(lr: number): void }) {
    super(baseLr, { kind: 'multistep', ...opts }, optimizer);
  }
}
/** torch.optim.lr_scheduler.CosineAnnealingLR, with an optional linear warm-up (see ScheduleSpec). */
export class CosineAnnealingLR extends LrSchedule {
  constructor(
    baseLr: number,
    opts: { tMax: number; etaMin?: number; warmup?: number; warmupStartFactor?: number },
    optimizer?: { setLr(lr: number): void },
  ) {
    super(baseLr, { kind: 'cosine', ...opts }, optimizer);
  }
}
