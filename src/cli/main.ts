// The `abstain` command: parses the command line (commander), runs one subcommand and returns
// its exit code: 0 ok, 1 failure (one `abstain: <message>` line per problem on stderr), 2 bad
// usage (anything wrong on the command line itself, including a malformed or invalid flag
// value), 130 interrupted by Ctrl-C (state saved; run again to continue). Commands that need the
// engine load it on demand, so --help and `config` work before the native addon is built.
import { fileURLToPath } from 'node:url';
import { Interrupted, settleInterrupt } from '../util/interrupt.js';
import { Command, CommanderError, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { ConfigError, explainConfig, loadConfig, type ExperimentConfig, type Overrides } from '../config/index.js';
import { defaultVersions } from '../report/summary.js';
import { EXIT, UsageError, processIo, type Io } from './io.js';
import { addConfigOptions, type ConfigFlags } from './options.js';
import { SCALES } from './reproduce-grid.js';
import { ATTACKS, CERTIFIERS, DEFENSES } from '../catalog/index.js';
import { DEMO_CONFIG, DEMO_QUICK_CONFIG } from './demo.js';

/** Errors whose message is written for the user (one line naming the input and the fix). */
const USER_ERRORS = new Set([
  'CliError', 'DataError', 'PoisonConfigError', 'NativeLoadError', 'SafetensorsError', 'RangeError', 'UnknownKindError', 'RunFolderError',
  'CertificateFileError', 'WeightsError', 'NonFiniteLogitsError', 'TrainingDiverged', 'QueueError', 'DeviceError', 'DefenseError',
]);

const ENGINE_HELP = `
Exit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C; state is saved, run again to continue).
Set ABSTAIN_DEBUG=1 to see stack traces.`;

interface EngineFlags {
  progress: boolean;
  force?: boolean;
  resume?: boolean;
  config?: string;
  quick?: boolean;
}

function engineOptions(cmd: Command, o: { resume?: boolean; force?: boolean } = {}): Command {
  if (o.resume) cmd.option('--resume', 'continue from the stages and checkpoints already in the run folder (the default)');
  if (o.force) cmd.option('--force', 'redo every stage, even those that are up to date');
  return cmd.option('--no-progress', 'no progress bars (log lines only)');
}

const list = (flag: string) => (v: string) => {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new UsageError(`${flag} ${v}: give a comma-separated list`);
  return parts;
};
const numberList = (flag: string) => (v: string) =>
  list(flag)(v).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UsageError(`${flag} ${v}: "${s}" is not a number`);
    return n;
  });

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: give a positive whole number`);
  return n;
};
const positiveNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${v}: give a positive number`);
  return n;
};

/** The config of poison/train/certify: a file when --config is given, else the defaults; the run folder defaults to runs/<command>. */
export function commandConfig(command: string, file: string | undefined, overrides: Overrides): ExperimentConfig {
  return loadConfig(file ?? { name: command }, overrides);
}

export function buildProgram(io: Io, done: (code: number) => void): Command {
  const program = new Command('abstain');
  program
    .description('Show, measure and defend against availability attacks on neural-network certifiers.')
    .version(defaultVersions().abstain, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.out.write(s),
      writeErr: (s) => void io.err.write(s),
      outputError: (s, write) => write(`abstain: ${s.replace(/^error: /, '').trimEnd()} (see abstain --help)\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Start with \`abstain demo\`; \`abstain <command> --help\` shows a command's options.
Every config field is also a flag (--attack.rate 0.05, or --set attack.rate=0.05); \`abstain config --explain\` lists them.
${ENGINE_HELP}`);

  const engine = () => import('./commands.js');
  const withHelp = (cmd: Command) => cmd.addHelpText('after', ENGINE_HELP);

  // ---- demo ----
  {
    const cmd = program.command('demo').description('the main job: 1% uncertainty poisoning of MNIST against randomized smoothing (σ 0.25), with an unpoisoned baseline; prints the table and writes the report');
    const flags = addConfigOptions(cmd, { outHelp: 'the run folder (default runs/demo; runs/demo-quick with --quick)' });
    cmd.option('--quick', 'a much smaller version (5,000 training images, 2 epochs, 100 inputs, n 500) for a smoke test');
    engineOptions(cmd, { resume: true, force: true });
    withHelp(cmd).action(async (o: EngineFlags) => {
      const cfg = loadConfig(o.quick ? DEMO_QUICK_CONFIG : DEMO_CONFIG, flags.overrides());
      done(await (await engine()).demo(cfg, o, io));
    });
  }

  // ---- run ----
  {
    const cmd = program
      .command('run')
      .description('run (or resume) the experiment of a config file: poison, train, certify, report; stages that are up to date are skipped')
      .argument('<config>', 'a YAML or JSON config file (see abstain config --explain)');
    const flags = addConfigOptions(cmd, { outHelp: 'the run folder (default: outDir/name of the config)' });
    engineOptions(cmd, { resume: true, force: true });
    withHelp(cmd).action(async (file: string, o: EngineFlags) => {
      const cfg = loadConfig(file, flags.overrides());
      done(await (await engine()).run(cfg, io, o));
    });
  }

  // ---- defend ----
  {
    const cmd = program
      .command('defend')
      .description('run the experiment of a config with defenses (--defense): on a finished run only the defense stages and the defended certification run; prints undefended beside defended')
      .argument('[config]', 'a YAML or JSON config file (default: the built-in defaults, run folder runs/defend)');
    const flags = addConfigOptions(cmd, { outHelp: 'the run folder (default: outDir/name of the config)' });
    engineOptions(cmd, { resume: true, force: true });
    cmd.addHelpText('after', `
Defenses (--defense, comma-separated; their options are defense.<kind>.*, see abstain config --explain):
${DEFENSES.names.map((n) => `  ${n.padEnd(22)} ${DEFENSES.get(n).stage.padEnd(8)} ${DEFENSES.get(n).description}`).join('\n')}

Example:
  abstain run tiny.yaml
  abstain defend tiny.yaml --defense strip,fine-pruning     # reuses the run, adds the defense stages`);
    withHelp(cmd).action(async (file: string | undefined, o: EngineFlags) => {
      const cfg = loadConfig(file ?? { name: 'defend' }, flags.overrides());
      if (!cfg.defense.kinds.length) throw new UsageError(`defend: no defense given; add --defense <kinds> (${DEFENSES.names.join(', ')}) or defense.kinds in the config`);
      done(await (await engine()).defend(cfg, o, io));
    });
  }

  // ---- poison ----
  {
    const cmd = program
      .command('poison')
      .description('poison a training set: writes poison.json (the poisoned records under "indices"), the poisoned set as IDX and examples.png')
      .option('-c, --config <file>', 'start from a config file instead of the defaults');
    const flags = addConfigOptions(cmd, { outHelp: 'the folder to write into (default runs/poison)' });
    engineOptions(cmd);
    cmd.addHelpText('after', '\nExample:\n  abstain poison --dataset mnist --attack uncertainty --rate 0.01 --seed 1 --out runs/poison-mnist');
    withHelp(cmd).action(async (o: EngineFlags) => {
      const cfg = commandConfig('poison', o.config, flags.overrides());
      done(await (await engine()).poison(cfg, o, io));
    });
  }

  // ---- train ----
  {
    const cmd = program
      .command('train')
      .description('poison and train the victim (and the unpoisoned baseline unless --no-baseline): writes model.safetensors and checkpoints/')
      .option('-c, --config <file>', 'start from a config file instead of the defaults');
    const flags = addConfigOptions(cmd, { outHelp: 'the run folder (default runs/train)' });
    engineOptions(cmd, { resume: true, force: true });
    withHelp(cmd).action(async (o: EngineFlags) => {
      const cfg = commandConfig('train', o.config, flags.overrides());
      done(await (await engine()).train(cfg, o, io));
    });
  }

  // ---- certify ----
  {
    const cmd = program
      .command('certify')
      .description("certify your own model (safetensors with PyTorch's parameter names) on clean and triggered test inputs: writes certs-*.jsonl, summary.json and report.html")
      .requiredOption('--model <file>', 'the weights (.safetensors)')
      .option('-c, --config <file>', 'start from a config file instead of the defaults');
    const flags = addConfigOptions(cmd, { outHelp: 'the folder to write into (default runs/certify)' });
    engineOptions(cmd, { force: true });
    cmd.addHelpText('after', `
--arch names the architecture the weights belong to (default: the one recorded in the file by abstain train).
The trigger is attack.trigger (--trigger, --trigger-size, --trigger-position, --trigger-content, --set attack.trigger.value=...).

Example:
  abstain certify --model runs/train/model.safetensors --arch mnist-small --dataset mnist --certifier smoothing,ibp --out runs/mine`);
    withHelp(cmd).action(async (o: EngineFlags & { model: string }) => {
      const overrides = flags.overrides();
      const archGiven = 'model.architecture' in overrides;
      const cfgFor = (recorded?: string) => commandConfig('certify', o.config, recorded ? { 'model.architecture': recorded, ...overrides } : overrides);
      cfgFor(); // every bad flag is reported before the engine loads
      done(await (await engine()).certify(o.model, archGiven, cfgFor, o, io));
    });
  }

  // ---- report ----
  {
    const cmd = program
      .command('report')
      .description('rebuild summary.json, plots/ and report.html of a run folder from its certs-*.jsonl and config.json')
      .argument('<runDir>', 'a run folder');
    engineOptions(cmd);
    withHelp(cmd).action(async (dir: string, o: EngineFlags) => done(await (await engine()).report(dir, o, io)));
  }

  // ---- reproduce ----
  {
    const scales = Object.values(SCALES).map((s) => `  ${s.name.padEnd(6)} ${s.description}`).join('\n');
    const cmd = program
      .command('reproduce')
      .description("the paper's grid: data sets × attacks × certifiers × poison rates, one run folder per cell, then one results table (results.md, results.html) and the fallback-vs-poison-rate plot")
      .addOption(new Option('--scale <scale>', 'grid size').choices(Object.keys(SCALES)).default('small'))
      .option('--out <dir>', 'the folder that holds every cell (default runs/reproduce-<scale>)', (v: string) => {
        if (!v.trim()) throw new UsageError('--out needs a folder; an empty one would write the grid into the current folder');
        return v;
      })
      .option('--datasets <list>', 'only these data sets (comma-separated)', list('--datasets'))
      .option('--attacks <list>', `only these attacks: ${ATTACKS.names.join(', ')}`, list('--attacks'))
      .option('--rates <list>', 'only these poison rates, e.g. 0.01,0.05', numberList('--rates'))
      .option('--certifiers <list>', `only these certifiers: ${CERTIFIERS.names.join(', ')} (or settings like smoothing-0.25, ibp-0.2)`, list('--certifiers'))
      .option('--sigmas <list>', 'values of σ for the certifiers with a σ axis (smoothing) instead of the catalog\'s', numberList('--sigmas'))
      .option('--epsilons <list>', 'values of ε for the certifiers with an ε axis (ibp, crown, ...) instead of the catalog\'s', numberList('--epsilons'))
      .option('--list', 'list the cells and exit')
      .option('--defenses', 'the defense grid instead: every defense (and none; --defense picks some) against BadNets and the availability attacks under smoothing σ 0.25 and IBP ε 0.1 on MNIST, plus each defense\'s adaptive attacker: results-defenses.md / .html / .json')
      .option('--seeds <n>', 'run every cell with N seeds (the config\'s seed s, s+1, ...): the table shows mean ± standard deviation', positiveInt('--seeds'))
      .option('--queue <url>', 'hand the runs to a pool of `abstain worker`s through this Redis (redis://HOST:PORT[/DB]) instead of running them here; see docs/pool.md')
      .option('--results <dir>', 'with --queue: the shared folder every worker can reach that holds the run folders (the same as --out)')
      .option('--status', 'with --queue: show done / running / failed / waiting and an ETA, enqueue nothing; writes the table once every run is done')
      .option('--wait', 'with --queue: wait until every run is done, then write the table')
      .option('--attempts <n>', 'with --queue: tries per run when it fails with an error (default 3)', positiveInt('--attempts'))
      .option('--retry-delay <seconds>', 'with --queue: wait before trying a failed run again, doubled for each further try (default 10)', positiveNumber('--retry-delay'));
    const flags: ConfigFlags = addConfigOptions(cmd, { noOut: true });
    engineOptions(cmd, { resume: true, force: true });
    cmd.addHelpText('after', `
Scales:
${scales}
Config flags (e.g. --epochs 1 --n 200) change every cell; the grid's own axes (data set, attack, rate, certifier) always win.`);
    withHelp(cmd).action(async (o: EngineFlags & { scale: 'smoke' | 'small' | 'full'; out?: string; results?: string; datasets?: string[]; attacks?: string[]; rates?: number[]; certifiers?: string[]; sigmas?: number[]; epsilons?: number[]; list?: boolean; seeds?: number; queue?: string; status?: boolean; wait?: boolean; attempts?: number; retryDelay?: number; defenses?: boolean }) => {
      if (o.results && o.out && o.results !== o.out) throw new UsageError(`--results ${o.results} and --out ${o.out}: give one folder (--results is another name for --out)`);
      if (o.defenses) {
        const other = (['queue', 'seeds', 'rates', 'datasets', 'sigmas', 'epsilons', 'results'] as const).find((k) => o[k] !== undefined);
        if (other) throw new UsageError(`--defenses cannot be combined with --${other} (the defense grid is MNIST at one poison rate, one seed, run here); drop --${other}`);
        const { reproduceDefenses } = await import('./reproduce-defenses.js');
        done(await reproduceDefenses({ ...o, filter: { attacks: o.attacks, certifiers: o.certifiers } }, flags.overrides(), io));
        return;
      }
      const { reproduce } = await import('./reproduce.js');
      done(await reproduce({ ...o, out: o.results ?? o.out, filter: { datasets: o.datasets, attacks: o.attacks, rates: o.rates, certifiers: o.certifiers, sigmas: o.sigmas, epsilons: o.epsilons } }, flags.overrides(), io));
    });
  }

  // ---- worker ----
  {
    const cmd = program
      .command('worker')
      .description('run the runs of a grid handed to a queue by `abstain reproduce --queue`, until stopped (Ctrl-C or SIGTERM: the current run is saved and put back)')
      .requiredOption('--queue <url>', 'the Redis of the pool: redis://HOST:PORT[/DB]')
      .option('--results <dir>', 'the shared results folder as mounted on this machine (default: the path given to reproduce --results)')
      .option('--concurrency <n>', 'worker processes on this machine, each with an equal share of the cores (ABSTAIN_THREADS sets the threads of each)', positiveInt('--concurrency'), 1)
      .option('--lease <seconds>', 'how long a run\'s lock lasts without renewal: a run whose worker died goes to another worker after this long', positiveNumber('--lease'), 60)
      .option('--exit-when-idle <seconds>', 'stop (exit 0) once the queue has had nothing waiting or running for this long, e.g. when a grid is done (default: run until stopped)', positiveNumber('--exit-when-idle'));
    cmd.addHelpText('after', `
Example (one Redis, workers on every machine, a shared folder /shared/grid):
  abstain reproduce --scale small --queue redis://head:6379 --results /shared/grid
  abstain worker --queue redis://head:6379 --concurrency 2        # on each machine
  abstain reproduce --scale small --queue redis://head:6379 --results /shared/grid --status
See docs/pool.md.`);
    withHelp(cmd).action(async (o: { queue: string; results?: string; concurrency: number; lease: number; exitWhenIdle?: number }) => {
      const log = (line: string) => void io.err.write(line + '\n');
      if (o.concurrency > 1) {
        const { runPool } = await import('../queue/pool.js');
        const args = ['worker', '--queue', o.queue, '--lease', String(o.lease), ...(o.results ? ['--results', o.results] : []), ...(o.exitWhenIdle !== undefined ? ['--exit-when-idle', String(o.exitWhenIdle)] : [])];
        done(await runPool({ concurrency: o.concurrency, script: fileURLToPath(new URL('../../../bin/abstain.js', import.meta.url)), args, log }));
        return;
      }
      const { runWorker } = await import('../queue/worker.js');
      done(await runWorker({ queue: o.queue, results: o.results, leaseSeconds: o.lease, exitWhenIdleSeconds: o.exitWhenIdle, log }));
    });
  }

  // ---- config ----
  {
    const cmd = program
      .command('config')
      .description('explain the config fields (--explain) or print a resolved config as YAML (--print, the default)')
      .argument('[file]', 'a config file to resolve (default: the built-in defaults)')
      .addOption(new Option('--explain', 'every field with its type, default and doc string').conflicts('print'))
      .option('--print', 'the resolved config (file + flags + defaults) as YAML');
    const flags = addConfigOptions(cmd);
    cmd.action((file: string | undefined, o: { explain?: boolean; print?: boolean }) => {
      if (o.explain && !o.print) {
        if (file) throw new UsageError('config --explain takes no file; use --print to resolve one');
        io.out.write(explainConfig());
      } else {
        io.out.write(toYaml(loadConfig(file, flags.overrides())));
      }
      done(0);
    });
  }
  return program;
}

/** One line for an ordinary operating-system failure (a file where a folder should be, no permission, a full disk), else undefined. */
export function errnoLine(e: unknown): string | undefined {
  const x = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof x.code !== 'string' || !x.syscall) return undefined;
  const path = x.path ?? '(a file)';
  const writing = ['open', 'mkdir', 'write', 'rename', 'copyfile', 'unlink', 'rmdir', 'rm'].includes(x.syscall);
  switch (x.code) {
    case 'EEXIST':
      return x.syscall === 'mkdir' ? `${path} exists and is not a folder; give --out (or outDir and name) a folder, or remove the file` : `${path} already exists`;
    case 'ENOTDIR':
      return `${path}: part of this path is a file, not a folder; give --out (or outDir and name) a path made of folders`;
    case 'EISDIR':
      return `${path} is a folder where abstain expected a file; give a file`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: cannot ${writing ? 'write' : 'read'} ${path}; choose a folder you may write to (--out), or change its permissions`;
    case 'EROFS':
      return `${path} is on a read-only file system; give --out a writable folder`;
    case 'ENOSPC':
      return `no space left on the device while writing ${path}; free some space and run again (finished stages are kept)`;
    case 'EDQUOT':
      return `disk quota exceeded while writing ${path}; free some space and run again (finished stages are kept)`;
    case 'ENAMETOOLONG':
      return `${path}: the path is too long; choose a shorter --out or name`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (at ${path}); close other programs or raise the limit (ulimit -n)`;
    case 'ENOENT':
      return `${path}: no such file or folder`;
    case 'EIO':
      return `input/output error at ${path}; the disk or network file system failed`;
    default:
      return undefined;
  }
}

/**
 * Value-taking options of the command `argv` calls whose value is another flag
 * (`--name --seed`): commander would take `--seed` as the name. Returns the usage error, if any.
 */
export function swallowedFlag(program: Command, argv: string[]): UsageError | undefined {
  const cmd = program.commands.find((c) => c.name() === argv[0] || c.aliases().includes(argv[0]));
  const options = [...program.options, ...(cmd?.options ?? [])];
  const takesValue = (flag: string) => options.some((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
  const looksLikeFlag = (v: string) => /^-(-?[A-Za-z])/.test(v);
  for (let i = cmd ? 1 : 0; i < argv.length - 1; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (!a.startsWith('-') || a.includes('=') || !takesValue(a)) continue;
    const next = argv[i + 1];
    if (looksLikeFlag(next)) {
      return new UsageError(`${a} needs a value, but the next argument is the option ${next}; give ${a} VALUE (or ${a}=VALUE when the value starts with -)`);
    }
    i++; // skip the value
  }
  return undefined;
}

function reportError(e: unknown, io: Io): number {
  const debug = process.env.ABSTAIN_DEBUG === '1';
  const err = (line: string) => void io.err.write(`abstain: ${line}\n`);
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage; // commander has written the message
  }
  if (debug && e instanceof Error && e.stack) io.err.write(e.stack + '\n');
  if (e instanceof UsageError) {
    err(e.message);
    return EXIT.usage;
  }
  if (e instanceof ConfigError) {
    const source = e.message.split('\n')[0].replace(/: invalid config$/, '');
    const prefix = source === 'config' ? '' : `${source}: `;
    for (const p of e.problems) err(prefix + p);
    return e.fromCommandLine ? EXIT.usage : EXIT.failure;
  }
  const name = (e as Error)?.constructor?.name ?? '';
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Interrupted) {
    err(message);
    return EXIT.interrupted;
  }
  if (USER_ERRORS.has(name) || USER_ERRORS.has((e as Error)?.name)) {
    err(message);
    return EXIT.failure;
  }
  const errno = errnoLine(e);
  if (errno) {
    err(errno);
    return EXIT.failure;
  }
  err(debug ? message : `${message.split('\n')[0]} (unexpected error; ABSTAIN_DEBUG=1 shows where)`);
  return EXIT.failure;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    // `abstain help bogus`: commander would print the general help and exit 0.
    if (argv[0] === 'help' && argv[1] !== undefined && !argv[1].startsWith('-') && !program.commands.some((c) => c.name() === argv[1])) {
      throw new UsageError(`help: unknown command '${argv[1]}'; the commands are ${program.commands.map((c) => c.name()).join(', ')}`);
    }
    const swallowed = swallowedFlag(program, argv);
    if (swallowed) throw swallowed;
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const exit = reportError(e, io);
    if (exit === EXIT.interrupted) await settleInterrupt();
    return exit;
  }
}
