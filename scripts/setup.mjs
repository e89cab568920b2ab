// Makes a machine ready to run abstain, idempotently; `npm test`, `npm run demo` and `npm run bench`
// call it first. Four steps, each skipped when its output is already up to date:
//   1. Debian packages (libtorch-dev, libopenblas0-pthread, dataset-fashion-mnist; with --test also
//      chromium and redis-server): installed with apt-get as root on Debian; otherwise the exact
//      install command is printed and setup stops.
//   2. npm dependencies: `npm ci` when node_modules is missing or package-lock.json has changed.
//   3. The native addon: node-gyp when build/Release/abstain_native.node is missing, older than
//      native/* or binding.gyp, built for another Node ABI, or built against another libtorch.
//      The libtorch is LIBTORCH, else an installed PyTorch's, else Debian's (scripts/libtorch.mjs).
//   4. TypeScript: tsc when dist/ is missing or a .ts file (or tsconfig.json) changed since the
//      last successful build.
// When everything is in place it prints nothing and costs a few tens of milliseconds.
//
// Usage: node scripts/setup.mjs [--build] [--check] [--test] [--which]
//   --build  only the native and TypeScript build steps (no apt-get, no npm ci)
//   --check  say what would be done without doing it; exit 1 when something is missing
//   --test   also what the tests need (`npm test`): chromium (the report render test),
//            redis-server (the job-queue test) and python3-torch (the PyTorch parity tests), so
//            that no test is skipped
//   --which  say which libtorch the addon is (and would be) built against, and whether CUDA works
// npm install / npm ci never build anything themselves (package.json sets "gypfile": false, so
// npm does not run an implicit `node-gyp rebuild`): this script is the one install step.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync, accessSync, constants } from 'node:fs';
import { dirname, join, relative, delimiter } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findLibtorch, LibtorchError } from './libtorch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
for (const a of args) {
  if (!['--build', '--check', '--test', '--which', '--help', '-h'].includes(a)) fail(`unknown option ${a} (use --build, --check, --test, --which)`);
}
if (args.includes('--help') || args.includes('-h')) {
  console.log(
    'usage: node scripts/setup.mjs [--build] [--check] [--test] [--which]\n' +
      '  --test: also what the tests need (chromium, redis-server); --which: the libtorch used and whether CUDA works',
  );
  process.exit(0);
}
const buildOnly = args.includes('--build');
const checkOnly = args.includes('--check');
const forTests = args.includes('--test');

/** The libtorch to build against (LIBTORCH, else an installed PyTorch's, else Debian's), found once. */
let libtorchChoice;
function libtorch() {
  if (!libtorchChoice) {
    try {
      libtorchChoice = findLibtorch();
    } catch (e) {
      if (e instanceof LibtorchError) fail(e.message);
      throw e;
    }
  }
  return libtorchChoice;
}
const debianLibtorch = libtorch().kind === 'debian';

/** The Debian packages abstain needs at run time, with a way to see each one present without dpkg. */
const PACKAGES = [
  // Only when building against Debian's libtorch (not LIBTORCH's or an installed PyTorch's).
  { name: 'libtorch-dev', what: 'libtorch headers and libraries', present: libtorchPresent, forDebianLibtorch: true },
  { name: 'libopenblas0-pthread', what: 'OpenBLAS, the BLAS libtorch calls', present: () => libraryPresent(/libopenblas\.so/), forDebianLibtorch: true },
  {
    name: 'dataset-fashion-mnist',
    what: 'Fashion-MNIST in /usr/share/datasets/fashion-mnist',
    present: () => existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'),
  },
  // Only for `npm test`: the HTML report is checked by rendering it in headless Chromium.
  { name: 'chromium', what: 'headless browser for the report test', present: () => existsSync('/usr/bin/chromium'), forTests: true },
  // Only for `npm test`: the job-queue test starts its own redis-server on a free loopback port.
  { name: 'redis-server', what: 'Redis, for the job-queue test (reproduce --queue, abstain worker)', present: () => onPath('redis-server'), forTests: true },
  // Only for `npm test`: the parity tests compare with PyTorch itself (test/nn/pytorch-parity, the LR schedules).
  { name: 'python3-torch', what: 'PyTorch for the parity tests', present: () => spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0, forTests: true },
].filter((p) => (!p.forTests || forTests) && (!p.forDebianLibtorch || debianLibtorch));
const ADDON = join(root, 'build', 'Release', 'abstain_native.node');
const NPM_STAMP = join(root, 'node_modules', '.abstain-setup.json');
const NATIVE_STAMP = join(root, 'build', '.abstain-setup.json');
const TS_STAMP = join(root, 'dist', '.abstain-setup.json');
const TS_DIRS = ['src', 'test', 'bench'];

const todo = []; // what --check reports

function say(msg) {
  console.error(`abstain setup: ${msg}`);
}
function fail(msg) {
  console.error(`abstain setup: ${msg}`);
  process.exit(1);
}
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}
function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}
/** Runs a command with its output shown; stops setup when it fails. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`\`${[cmd, ...argv].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}
/** Runs a command with its output captured; on failure prints the output and stops setup. */
function runQuiet(cmd, argv, label, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    fail(`${label} failed (exit ${r.status ?? r.signal}); its output is above`);
  }
}
function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

// ---- 1. Debian packages -------------------------------------------------------------------

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu'];
function libraryPresent(re) {
  for (const dir of [...LIB_DIRS, ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)]) {
    try {
      if (readdirSync(dir).some((f) => re.test(f))) return true;
      if (readdirSync(join(dir, 'openblas-pthread')).some((f) => re.test(f))) return true;
    } catch {}
  }
  return false;
}
function libtorchPresent() {
  if (libtorch().present && libraryPresent(/^libtorch_cpu\.so/)) return true;
  // Built already against a libtorch installed some other way: fine as long as it loads.
  if (!existsSync(ADDON)) return false;
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ADDON)})`], { stdio: 'ignore' });
  return r.status === 0;
}

/** Packages not installed, per one dpkg-query call (null when dpkg is not there). */
function missingDebianPackages(names) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...names], { encoding: 'utf8' });
  if (r.error) return null;
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => / install ok installed$/.test(l))
      .map((l) => l.split(' ')[0].split(':')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function systemPackages() {
  const debian = existsSync('/etc/debian_version');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const needed = PACKAGES.map((p) => p.name);
  // Tools node-gyp needs to build the addon (a fresh Debian image may lack them).
  const tools = [['g++', 'g++'], ['make', 'make'], ['python3', 'python3']].filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
  let missing = debian ? missingDebianPackages([...needed, ...tools]) : null;
  if (missing === null) {
    // Not Debian (or no dpkg): look for the files themselves.
    missing = [...PACKAGES.filter((p) => !p.present()).map((p) => p.name), ...tools];
  }
  if (!missing.length) return;
  if (debian && isRoot) {
    todo.push(`apt-get install ${missing.join(' ')}`);
    if (checkOnly) return;
    say(`installing ${missing.join(' ')} (apt-get)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-q'], { env });
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
    return;
  }
  // Cannot install: stop only for what is really absent (libtorch may come from elsewhere).
  const absent = missing.filter((name) => {
    const p = PACKAGES.find((q) => q.name === name);
    return p ? !p.present() : true;
  });
  if (!absent.length) return;
  const lines = absent.map((name) => `  ${name}${PACKAGES.find((p) => p.name === name) ? ' — ' + PACKAGES.find((p) => p.name === name).what : ''}`);
  const how = debian
    ? `install them with:\n  sudo apt-get update && sudo apt-get install -y ${absent.join(' ')}\nthen run this again (or run it as root and it installs them itself).`
    : 'this is not Debian (no /etc/debian_version): install the equivalents with your package manager ' +
      `(on Debian: apt-get install -y ${absent.join(' ')}), or use another libtorch: set LIBTORCH to the unzipped libtorch from pytorch.org, or install PyTorch (pip install torch).`;
  if (checkOnly) {
    todo.push(`install ${absent.join(' ')} (needs root)`);
    return;
  }
  console.error(`abstain setup: missing system packages:\n${lines.join('\n')}\n${how}`);
  fail(`stopped: ${absent.length} system package(s) missing (${debian ? 'not root' : 'not Debian'}).`);
}

// ---- 2. npm dependencies ------------------------------------------------------------------

function npmDeps() {
  const lockPath = join(root, 'package-lock.json');
  const lock = readFileSync(lockPath);
  const lockHash = createHash('sha256').update(lock).digest('hex');
  const nm = join(root, 'node_modules');
  const stamp = readJson(NPM_STAMP);
  if (existsSync(nm)) {
    if (stamp?.lockHash === lockHash) return;
    // Installed by hand (no stamp yet): trust it when npm's own record is newer than the lock.
    if (!stamp && mtime(join(nm, '.package-lock.json')) >= mtime(lockPath)) {
      if (!checkOnly) writeJson(NPM_STAMP, { lockHash });
      return;
    }
  }
  todo.push('npm ci');
  if (checkOnly) return;
  say(existsSync(nm) ? 'package-lock.json changed: npm ci...' : 'installing npm dependencies (npm ci)...');
  // No dependency needs its install script, and ours has none either ("gypfile": false stops
  // npm's implicit `node-gyp rebuild`; step 3 builds the addon, in parallel with -j max).
  const ignoreScripts = !dependenciesNeedingScripts(lock).length;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error', ...(ignoreScripts ? ['--ignore-scripts'] : [])]);
  writeJson(NPM_STAMP, { lockHash });
}

// Install scripts that are not needed: msgpackr-extract (msgpackr's optional native speed-up,
// via bullmq) only builds from source when its prebuilt platform package is missing, and msgpackr
// works without it.
const SCRIPTS_NOT_NEEDED = new Set(['node_modules/msgpackr-extract']);
function dependenciesNeedingScripts(lock) {
  const packages = JSON.parse(lock.toString()).packages ?? {};
  return Object.entries(packages)
    .filter(([path, p]) => path && p.hasInstallScript && !SCRIPTS_NOT_NEEDED.has(path))
    .map(([path]) => path);
}

// ---- 3. native addon ----------------------------------------------------------------------

function nativeInputs() {
  const dir = join(root, 'native');
  const files = readdirSync(dir).filter((f) => /\.(cc|h|hpp|cpp)$/.test(f)).map((f) => join(dir, f));
  return [...files, join(root, 'binding.gyp'), join(root, 'scripts', 'libtorch.mjs')];
}

function nativeAddon() {
  const built = mtime(ADDON);
  const stamp = readJson(NATIVE_STAMP);
  const abi = process.versions.modules;
  const lt = libtorch();
  const newest = Math.max(...nativeInputs().map(mtime));
  // A stamp from before libtorch was recorded means Debian's (the only one the set-up knew then).
  const builtKey = stamp?.libtorch?.key ?? (stamp && lt.kind === 'debian' ? lt.key : undefined);
  const otherLibtorch = stamp && builtKey !== lt.key;
  if (built >= 0 && built >= newest && (!stamp || stamp.abi === abi) && !otherLibtorch) return;
  const reason =
    built < 0
      ? 'not built'
      : stamp && stamp.abi !== abi
        ? `built for another Node ABI (${stamp.abi})`
        : otherLibtorch
          ? `it was built against ${stamp.libtorch?.description ?? 'another libtorch'}`
          : 'sources changed';
  todo.push(`build the native addon (${reason})`);
  if (checkOnly) return;
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) fail('node-gyp is not installed (node_modules/node-gyp); run `npm run setup` (or `npm ci`) first');
  // Configure again only when binding.gyp or the Node ABI changed; otherwise make rebuilds what changed.
  const configured = mtime(join(root, 'build', 'Makefile'));
  const reconfigure =
    configured < 0 || configured < Math.max(mtime(join(root, 'binding.gyp')), mtime(join(root, 'scripts', 'libtorch.mjs'))) ||
    (stamp && stamp.abi !== abi) || !stamp || otherLibtorch;
  // Build against the running Node's own headers when it ships them (no download needed).
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_version.h')) && !process.env.npm_config_nodedir ? [`--nodedir=${prefix}`] : [];
  say(`building the native addon against ${lt.description} (${reason}; node-gyp, a minute or two)...`);
  const t0 = Date.now();
  rmSync(NATIVE_STAMP, { force: true }); // a failed build must not count as built against lt
  runQuiet(process.execPath, [gyp, reconfigure ? 'rebuild' : 'build', '-j', 'max', ...nodedir], 'node-gyp');
  const { key, description, kind, root: ltRoot, cuda, version } = lt;
  writeJson(NATIVE_STAMP, { abi, node: process.version, libtorch: { key, description, kind, root: ltRoot, cuda, version } });
  say(`native addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- 4. TypeScript ------------------------------------------------------------------------

/** Calls visit(path) for every file below dir, skipping folders for which skipDir(name) is true. */
function walkFiles(dir, visit, skipDir = () => false) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDir(e.name)) walkFiles(p, visit, skipDir);
    } else visit(p);
  }
}

function tsSources() {
  const out = [];
  for (const d of TS_DIRS) walkFiles(join(root, d), (p) => p.endsWith('.ts') && out.push(p), (name) => name === 'node_modules' || name === 'results');
  return out;
}

function typescript() {
  const sources = tsSources();
  const rel = sources.map((p) => relative(root, p)).sort();
  const stamp = readJson(TS_STAMP);
  const inputs = [...sources, join(root, 'tsconfig.json'), join(root, 'package.json')];
  if (stamp && existsSync(join(root, 'dist')) && inputs.every((p) => mtime(p) <= stamp.startedAt) && sameList(stamp.sources, rel)) return;
  todo.push('compile TypeScript (tsc)');
  if (checkOnly) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) fail('TypeScript is not installed (node_modules/typescript); run `npm run setup` (or `npm ci`) first');
  say('compiling TypeScript (tsc)...');
  const startedAt = Date.now();
  // Start time, not end time: a file saved during the build makes the next check build again.
  rmSync(TS_STAMP, { force: true }); // a failed build (tsc still emits) must not count as done
  runQuiet(process.execPath, [tsc, '-p', '.'], 'tsc');
  removeOrphans();
  writeJson(TS_STAMP, { startedAt, sources: rel });
}

/** Removes dist/ outputs whose .ts source is gone (else deleted tests would still run). */
function removeOrphans() {
  walkFiles(join(root, 'dist'), (p) => {
    const m = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(relative(join(root, 'dist'), p));
    if (m && !existsSync(join(root, m[1] + '.ts'))) rmSync(p, { force: true });
  });
}

function sameList(a, b) {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---- --which --------------------------------------------------------------------------------

/** Says which libtorch the addon is built against (and would be), and whether CUDA works. */
function which() {
  const lt = libtorch();
  const stamp = readJson(NATIVE_STAMP);
  console.log(`libtorch to build against: ${lt.description}`);
  if (!existsSync(ADDON)) {
    console.log('the native addon is not built yet (npm run build)');
    return;
  }
  const built = stamp?.libtorch?.description ?? (stamp ? "Debian's libtorch (built before the set-up recorded it)" : 'unknown (built outside the set-up)');
  console.log(`the native addon was built against: ${built}${stamp?.libtorch && stamp.libtorch.key !== lt.key ? ' (the next build switches)' : ''}`);
  const probe = spawnSync(process.execPath, ['-e', `const i = require(${JSON.stringify(ADDON)}).torchInfo(); console.log(JSON.stringify(i))`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`the addon does not load: ${(probe.stderr || '').trim().split('\n')[0]}`);
    return;
  }
  const i = JSON.parse(probe.stdout);
  console.log(`loaded: libtorch ${i.version} from ${i.library}`);
  console.log(
    i.cudaCompiled
      ? `CUDA: compiled in; ${i.cudaAvailable ? `${i.cudaDeviceCount} GPU(s) available, so the default device is cuda` : 'no GPU available now, so the default device is cpu'}`
      : 'CUDA: not compiled in (a CPU libtorch); the device is cpu',
  );
}

// ---- main ---------------------------------------------------------------------------------

if (args.includes('--which')) {
  which();
  process.exit(0);
}
if (!buildOnly) {
  systemPackages();
  npmDeps();
}
nativeAddon();
typescript();
if (checkOnly) {
  if (todo.length) {
    console.log(`abstain setup would: ${todo.join('; ')}`);
    process.exit(1);
  }
  console.log('abstain setup: everything is in place');
}
