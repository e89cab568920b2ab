// Makes a machine ready to run abstain, idempotently; `npm test`, `npm run demo` and `npm run bench`
// call it first. Four steps, each skipped when its output is already up to date:
//   1. Debian packages (libtorch-dev, libopenblas0-pthread, dataset-fashion-mnist): installed with
//      apt-get as root on Debian; otherwise the exact install command is printed and setup stops.
//   2. npm dependencies: `npm ci` when node_modules is missing or package-lock.json has changed.
//   3. The native addon: node-gyp when build/Release/abstain_native.node is missing, older than
//      native/* or binding.gyp, or built for another Node ABI.
//   4. TypeScript: tsc when dist/ is missing or a .ts file (or tsconfig.json) changed since the
//      last successful build.
// When everything is in place it prints nothing and costs a few tens of milliseconds.
//
// Usage: node scripts/setup.mjs [--build] [--check] [--test]
//   --build  only the native and TypeScript build steps (no apt-get, no npm ci)
//   --check  say what would be done without doing it; exit 1 when something is missing
//   --test   also what the tests need (`npm test`): chromium (the report render test) and
//            python3-torch (the PyTorch parity tests), so that no test is skipped
// npm install / npm ci never build anything themselves (package.json sets "gypfile": false, so
// npm does not run an implicit `node-gyp rebuild`): this script is the one install step.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync, accessSync, constants } from 'node:fs';
import { dirname, join, relative, delimiter } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
for (const a of args) {
  if (!['--build', '--check', '--test', '--help', '-h'].includes(a)) fail(`unknown option ${a} (use --build, --check, --test)`);
}
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node scripts/setup.mjs [--build] [--check] [--test]  (--test: also what the tests need, e.g. chromium)');
  process.exit(0);
}
const buildOnly = args.includes('--build');
const checkOnly = args.includes('--check');
const forTests = args.includes('--test');

/** The Debian packages abstain needs at run time, with a way to see each one present without dpkg. */
const PACKAGES = [
  { name: 'libtorch-dev', what: 'libtorch headers and libraries', present: libtorchPresent },
  { name: 'libopenblas0-pthread', what: 'OpenBLAS, the BLAS libtorch calls', present: () => libraryPresent(/libopenblas\.so/) },
  {
    name: 'dataset-fashion-mnist',
    what: 'Fashion-MNIST in /usr/share/datasets/fashion-mnist',
    present: () => existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'),
  },
  // Only for `npm test`: the HTML report is checked by rendering it in headless Chromium.
  { name: 'chromium', what: 'headless browser for the report test', present: () => existsSync('/usr/bin/chromium'), forTests: true },
  // Only for `npm test`: the parity tests compare with PyTorch itself (test/nn/pytorch-parity, the LR schedules).
  { name: 'python3-torch', what: 'PyTorch for the parity tests', present: () => spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0, forTests: true },
].filter((p) => !p.forTests || forTests);
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
  const headers = ['/usr/include/torch/csrc/api/include/torch/torch.h', '/usr/local/include/torch/csrc/api/include/torch/torch.h'];
  if (headers.some(existsSync) && libraryPresent(/^libtorch_cpu\.so/)) return true;
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
      `(on Debian: apt-get install -y ${absent.join(' ')}), or libtorch from pytorch.org with its headers under /usr/include or /usr/local/include.`;
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
  // No dependency has an install script, and ours has none either ("gypfile": false stops npm's
  // implicit `node-gyp rebuild`; step 3 builds the addon, in parallel with -j max).
  const ignoreScripts = !lock.includes('"hasInstallScript": true');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error', ...(ignoreScripts ? ['--ignore-scripts'] : [])]);
  writeJson(NPM_STAMP, { lockHash });
}

// ---- 3. native addon ----------------------------------------------------------------------

function nativeInputs() {
  const dir = join(root, 'native');
  const files = readdirSync(dir).filter((f) => /\.(cc|h|hpp|cpp)$/.test(f)).map((f) => join(dir, f));
  return [...files, join(root, 'binding.gyp')];
}

function nativeAddon() {
  const built = mtime(ADDON);
  const stamp = readJson(NATIVE_STAMP);
  const abi = process.versions.modules;
  const newest = Math.max(...nativeInputs().map(mtime));
  if (built >= 0 && built >= newest && (!stamp || stamp.abi === abi)) return;
  const reason = built < 0 ? 'not built' : stamp && stamp.abi !== abi ? `built for another Node ABI (${stamp.abi})` : 'sources changed';
  todo.push(`build the native addon (${reason})`);
  if (checkOnly) return;
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) fail('node-gyp is not installed (node_modules/node-gyp); run `npm run setup` (or `npm ci`) first');
  // Configure again only when binding.gyp or the Node ABI changed; otherwise make rebuilds what changed.
  const configured = mtime(join(root, 'build', 'Makefile'));
  const reconfigure = configured < 0 || configured < mtime(join(root, 'binding.gyp')) || (stamp && stamp.abi !== abi) || !stamp;
  // Build against the running Node's own headers when it ships them (no download needed).
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_version.h')) && !process.env.npm_config_nodedir ? [`--nodedir=${prefix}`] : [];
  say(`building the native addon (${reason}; node-gyp, a minute or two)...`);
  const t0 = Date.now();
  runQuiet(process.execPath, [gyp, reconfigure ? 'rebuild' : 'build', '-j', 'max', ...nodedir], 'node-gyp');
  writeJson(NATIVE_STAMP, { abi, node: process.version });
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

// ---- main ---------------------------------------------------------------------------------

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
