// What the stages of one run share: the config, the run folder, and the values stages hand on,
// each computed (or read back from its artefact) the first time a stage asks. A skipped stage
// therefore costs nothing unless a later stage needs its output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attackKindOptions, type ExperimentConfig } from '../config/index.js';
import { ATTACKS, DATASETS } from '../catalog/index.js';
import type { Dataset } from '../data/index.js';
import { buildModel, loadModelWeights, type Module } from '../nn/index.js';
import { crossEntropy, defaultDevice, parseDevice, type Device, type Tensor } from '../tensor/index.js';
import { addAdaptiveSamples, type InputGradient, type PoisonResult } from '../poison/index.js';
import { concat } from '../data/index.js';
import type { DefenseContext } from '../defend/engine.js';
import { deriveSeed } from '../train/loop.js';
import { readCertificatesJsonl, type Certificate } from '../certify/index.js';
import type { DefensesSummary, Summary } from '../pipeline/index.js';
import { attackEngine } from './engines.js';
import { checkSplitsMatch, cleanEvalInputs, heldOutPart, heldOutTestInputs, trainingSet, triggerSpec, withTrigger } from './inputs.js';
import { objectiveFor } from './victim.js';

export interface ExperimentData {
  train: Dataset;
  /** The evaluated test inputs, clean and with the trigger. */
  clean: Dataset;
  triggered: Dataset;
}

export interface RunLog {
  log: (line: string) => void;
  progress?: boolean | 'auto';
}

export class RunContext {
  private dataCache?: ExperimentData;
  private poisonCache?: Promise<PoisonResult>;
  private readonly models = new Map<string, Module>();
  private readonly certs = new Map<string, Certificate[]>();
  private readonly artefacts = new Map<string, unknown>();
  private heldOutCache?: Dataset;
  private defenseCtx?: Promise<DefenseContext>;
  private readonly provided = new Map<string, string>();
  readonly timings: Record<string, number> = {};
  /** Left by the report stage. */
  summary?: Summary;
  defenses?: DefensesSummary;
  table?: string;
  /** The report's title (the certify command names the user's model). */
  title?: string;
  /**
   * Checks that a stage's artefact read from the run folder belongs to this run (its stage
   * record, hash and digests; set by the runner). Throws when it does not, so a file left by
   * another config, model or command is never read as this run's.
   */
  checkArtefact?: (stage: string) => void;

  /** Where models train and certify (config `device`, resolved once). */
  readonly device: Device;

  constructor(
    readonly cfg: ExperimentConfig,
    readonly runDir: string,
    readonly io: RunLog,
    readonly resume: boolean,
  ) {
    this.device = resolveDevice(cfg.device);
  }

  path(file: string): string {
    return join(this.runDir, file);
  }

  /** The training set and the evaluated test inputs (deterministic from the config). */
  data(): ExperimentData {
    if (!this.dataCache) {
      const t0 = Date.now();
      const train = trainingSet(this.cfg);
      const clean = cleanEvalInputs(this.cfg);
      checkSplitsMatch(this.cfg, train, clean);
      const triggered = withTrigger(this.cfg, clean);
      this.dataCache = { train, clean, triggered };
      this.timings.data = (Date.now() - t0) / 1000;
      this.io.log(`data: ${this.cfg.data.dataset}, ${train.length} training and ${clean.length} evaluated test inputs`);
    }
    return this.dataCache;
  }

  /** A fresh model of the configured architecture for the data set. */
  buildModel(): Module {
    const d = DATASETS.get(this.cfg.data.dataset);
    const shape = this.dataCache?.train.shape ?? d.inputShape;
    const classes = this.dataCache?.train.numClasses ?? d.numClasses;
    return buildModel(this.cfg.model.architecture, { seed: this.cfg.seed, inputShape: shape, numClasses: classes, device: this.device });
  }

  /** A file the user brought in place of a stage's artefact (abstain certify --model). */
  provide(stage: string, file: string): void {
    this.provided.set(stage, file);
  }

  /** Where a model-producing stage's weights are: the user's file when provided, else the run folder's. */
  modelFile(stage: string, file: string): string {
    return this.provided.get(stage) ?? this.path(file);
  }

  /** The model a stage produced: the one it handed over, else read from its artefact. */
  model(stage: string, file: string): Module {
    let m = this.models.get(stage);
    if (!m) {
      if (!this.provided.has(stage)) this.checkArtefact?.(stage);
      m = this.buildModel();
      loadModelWeights(this.modelFile(stage, file), m);
      m.eval();
      this.models.set(stage, m);
    }
    return m;
  }

  setModel(stage: string, model: Module): void {
    model.eval();
    this.models.set(stage, model);
  }

  /** The attack's result on the training set, computed in memory (deterministic from the config and the surrogate). */
  poison(): Promise<PoisonResult> {
    this.poisonCache ??= (async () => {
      const cfg = this.cfg;
      const kind = cfg.attack.kind;
      const options = attackKindOptions(cfg);
      const engine = await attackEngine(kind);
      const surrogate = ATTACKS.get(kind).surrogate?.(options as never);
      const poisoned = engine.poison(this.data().train, {
        ...options,
        rate: cfg.attack.rate,
        mode: cfg.attack.mode,
        trigger: triggerSpec(cfg),
        seed: cfg.seed,
        deploymentRadius: cfg.eval.deploymentRadius,
        ...(surrogate ? { gradient: inputGradient(this.model('surrogate', 'surrogate.safetensors')) } : {}),
      });
      // an adaptive attacker's extra samples follow the attack's own (recorded in poison.json too)
      const a = cfg.attack.adaptive;
      return a.kind === 'none' ? poisoned : addAdaptiveSamples(this.data().train, poisoned, { kind: a.kind, rate: a.rate, seed: deriveSeed(cfg.seed, 'adaptive') });
    })();
    return this.poisonCache;
  }

  /** The test inputs the defender holds back (none of them evaluated), in their seeded order. */
  heldOut(): Dataset {
    this.heldOutCache ??= heldOutTestInputs(this.cfg);
    return this.heldOutCache;
  }

  /** What a defense may read: the victim's recipe, the defender's clean data, the smoothing certifier, held-out traffic. */
  defenseContext(): Promise<DefenseContext> {
    const pool = () => this.heldOut();
    this.defenseCtx ??= (async () => {
      const cfg = this.cfg;
      const { train } = this.data();
      const n = cfg.defense.cleanSamples;
      const smoothing = cfg.certify.kinds.includes('smoothing');
      let clean: Dataset | undefined;
      return {
        seed: cfg.seed,
        recipe: {
          objective: await objectiveFor(cfg, train.numClasses),
          epochs: cfg.train.epochs,
          batchSize: cfg.train.batchSize,
          lr: cfg.train.optimizer.lr,
          build: (seed: number) => buildModel(cfg.model.architecture, { seed, inputShape: train.shape, numClasses: train.numClasses, device: this.device }),
        },
        get clean() {
          return (clean ??= heldOutPart(cfg, pool(), 0, n, `the defender's clean data (defense.cleanSamples ${n})`));
        },
        numClasses: train.numClasses,
        ...(smoothing ? { certifier: { sigma: cfg.certify.smoothing.sigma, deploymentRadius: cfg.eval.deploymentRadius } } : {}),
        traffic: (count: number, triggerShare: number) => {
          const part = heldOutPart(cfg, pool(), n, count, `the watched traffic (${count} inputs)`);
          const m = Math.round(triggerShare * count);
          const idx = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
          if (m === 0) return part;
          const triggered = withTrigger(cfg, part.subset(idx(0, m)));
          return m === count ? triggered : concat([triggered, part.subset(idx(m, count))], `${part.name} (traffic)`);
        },
        log: this.io.log,
      };
    })();
    return this.defenseCtx;
  }

  /** A stage's JSON artefact: the value it handed over, else read (and checked) from its file. */
  artefact<T>(stage: string, file: string): T {
    if (!this.artefacts.has(stage)) {
      this.checkArtefact?.(stage);
      this.artefacts.set(stage, JSON.parse(readFileSync(this.path(file), 'utf8')) as unknown);
    }
    return this.artefacts.get(stage) as T;
  }

  setArtefact(stage: string, value: unknown): void {
    this.artefacts.set(stage, value);
  }

  /** A certify stage's certificates: the ones it handed over, else read (and checked) from its file. */
  certificates(stage: string, file: string): Certificate[] {
    let c = this.certs.get(stage);
    if (!c) {
      c = readCertificatesJsonl(this.path(file), { numClasses: DATASETS.get(this.cfg.data.dataset).numClasses });
      this.checkArtefact?.(stage);
      this.certs.set(stage, c);
    }
    return c;
  }

  setCertificates(stage: string, certs: Certificate[]): void {
    this.certs.set(stage, certs);
  }

  dispose(): void {
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
  }
}

/** The device a config's `device` names: auto is CUDA when this libtorch has it and a GPU is present, else the CPU. */
export function resolveDevice(device: string): Device {
  return device === 'auto' ? defaultDevice() : parseDevice(device);
}

/** d(cross-entropy)/d(input) of a model: the attacker's surrogate direction. */
export function inputGradient(model: Module): InputGradient {
  return (x: Tensor, y: Tensor) => {
    const xr = x.detach().toDevice(model.device).requiresGrad_();
    crossEntropy(model.forward(xr), y.toDevice(model.device)).backward();
    return xr.grad!.cpu();
  };
}
