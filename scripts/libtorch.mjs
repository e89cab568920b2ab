// Which libtorch the native addon is built against. The set-up (scripts/setup.mjs) and
// binding.gyp both ask this file, so they always agree. In this order:
//   1. LIBTORCH: a libtorch folder (include/, lib/; e.g. the zip from pytorch.org, CPU or CUDA);
//   2. the libtorch inside an installed PyTorch (torch/include, torch/lib, with libtorch_cuda
//      when the PyTorch has CUDA): the first `torch` package found in the active virtual or conda
//      environment ($VIRTUAL_ENV, $CONDA_PREFIX), next to each python3 on PATH (pyenv versions
//      included), in ~/.local, /usr/local and /usr/lib/python3/dist-packages. A PyTorch whose
//      libraries are Debian's own (python3-torch links /usr/lib's libtorch) counts as Debian's;
//   3. Debian's libtorch-dev (/usr/include/torch, the system's libraries): the default on a
//      fresh machine.
// The search reads directories only (no Python is started), so it costs about a millisecond.
//
// Usage: node scripts/libtorch.mjs             prints the choice (one line) and its details as JSON
//        node scripts/libtorch.mjs --gyp WHAT  prints what binding.gyp needs: include | libraries | defines
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export class LibtorchError extends Error {}

const API_HEADER = join('torch', 'csrc', 'api', 'include', 'torch', 'torch.h');
const SYSTEM_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/local/lib'];
const SYSTEM_INCLUDE_DIRS = ['/usr/include', '/usr/local/include'];

function list(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
function real(p) {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The site-packages folders to search for an installed PyTorch, in order (existing ones only). */
export function pythonSites(env = process.env, home = homedir()) {
  const prefixes = [];
  if (env.VIRTUAL_ENV) prefixes.push(env.VIRTUAL_ENV);
  if (env.CONDA_PREFIX) prefixes.push(env.CONDA_PREFIX);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (basename(dir) === 'shims' && existsSync(join(dirname(dir), 'versions'))) {
      // pyenv: the shims dir holds scripts; each installed version is a prefix
      for (const v of list(join(dirname(dir), 'versions')).sort()) prefixes.push(join(dirname(dir), 'versions', v));
    } else if (existsSync(join(dir, 'python3'))) prefixes.push(dirname(dir));
  }
  prefixes.push(join(home, '.local'), '/usr/local');
  const sites = [];
  for (const prefix of prefixes) {
    const lib = join(prefix, 'lib');
    for (const py of list(lib).filter((n) => /^python3(\.\d+)?$/.test(n)).sort().reverse()) {
      sites.push(join(lib, py, 'site-packages'), join(lib, py, 'dist-packages'));
    }
  }
  sites.push('/usr/lib/python3/dist-packages');
  const seen = new Set();
  return sites.filter((s) => existsSync(s) && !seen.has(real(s)) && seen.add(real(s)));
}

/** TORCH_VERSION from the headers ("1.13.0"), or null. */
function headerVersion(apiInclude) {
  try {
    const h = readFileSync(join(apiInclude, 'torch', 'version.h'), 'utf8');
    const part = (name) => h.match(new RegExp(`#define\\s+TORCH_VERSION_${name}\\s+(\\d+)`))?.[1];
    const [a, b, c] = ['MAJOR', 'MINOR', 'PATCH'].map(part);
    return a !== undefined ? `${a}.${b}.${c}` : null;
  } catch {
    return null;
  }
}

/** The C++ ABI the libtorch was built with, from its TorchConfig.cmake (1, the modern ABI, when unsaid). */
function cxx11Abi(cmakeDirs) {
  for (const d of cmakeDirs) {
    try {
      const m = readFileSync(join(d, 'TorchConfig.cmake'), 'utf8').match(/_GLIBCXX_USE_CXX11_ABI=(\d)/);
      if (m) return Number(m[1]);
    } catch {}
  }
  return 1;
}

/** A libtorch folder with include/ and lib/ (LIBTORCH's layout, and torch/ inside a PyTorch). */
function fromFolder(kind, root, extra = {}) {
  const include = join(root, 'include');
  const apiInclude = join(include, 'torch', 'csrc', 'api', 'include');
  const libDir = join(root, 'lib');
  const cuda = existsSync(join(libDir, 'libtorch_cuda.so'));
  let version = headerVersion(apiInclude);
  try {
    // a PyTorch's own version string says more (e.g. 2.11.0+cu130)
    version = readFileSync(join(root, 'version.py'), 'utf8').match(/__version__\s*=\s*'([^']+)'/)?.[1] ?? version;
  } catch {}
  return {
    kind,
    root,
    includeDirs: [include, apiInclude],
    libDir,
    cuda,
    cxx11Abi: cxx11Abi([join(root, 'share', 'cmake', 'Torch')]),
    version,
    ...extra,
  };
}

function hasLibtorch(root) {
  return existsSync(join(root, 'include', API_HEADER)) && existsSync(join(root, 'lib', 'libtorch_cpu.so'));
}

/** True when the folder's libtorch_cpu.so is the system's (Debian's python3-torch links it). */
function isSystemLibtorch(root) {
  const lib = dirname(real(join(root, 'lib', 'libtorch_cpu.so')));
  return SYSTEM_LIB_DIRS.some((d) => real(d) === lib);
}

function describe(c) {
  const what = { LIBTORCH: 'LIBTORCH', pytorch: 'the PyTorch', debian: "Debian's libtorch" }[c.kind];
  const where = c.kind === 'debian' ? '' : ` at ${c.root}`;
  return `${what} ${c.version ?? '(unknown version)'}${where} (${c.cuda ? 'CUDA' : 'CPU only'})`;
}

/**
 * The libtorch to build against (see the header for the order), or throws LibtorchError with a
 * line that says what is wrong and what to do.
 * @param {{ env?: NodeJS.ProcessEnv, sites?: string[], includeDirs?: string[] }} o
 *   env: the environment (LIBTORCH, VIRTUAL_ENV, PATH, ...); sites: the site-packages folders
 *   to search (default: pythonSites(env)); includeDirs: where Debian's headers may be.
 */
export function findLibtorch(o = {}) {
  const env = o.env ?? process.env;
  let choice = null;
  if (env.LIBTORCH) {
    const root = resolve(env.LIBTORCH);
    if (!hasLibtorch(root)) {
      throw new LibtorchError(
        `LIBTORCH=${env.LIBTORCH} is not a libtorch folder (it needs include/${API_HEADER} and lib/libtorch_cpu.so); ` +
          'point it at the unzipped libtorch from pytorch.org (or a PyTorch\'s torch/ folder), or unset it',
      );
    }
    choice = fromFolder('LIBTORCH', root);
  }
  if (!choice) {
    for (const site of o.sites ?? pythonSites(env)) {
      const root = join(site, 'torch');
      if (hasLibtorch(root) && !isSystemLibtorch(root)) {
        choice = fromFolder('pytorch', root);
        break;
      }
    }
  }
  if (!choice) {
    const inc = (o.includeDirs ?? SYSTEM_INCLUDE_DIRS).find((d) => existsSync(join(d, API_HEADER)));
    const apiInclude = join(inc ?? '/usr/include', 'torch', 'csrc', 'api', 'include');
    choice = {
      kind: 'debian',
      root: inc ?? '/usr/include',
      includeDirs: [apiInclude],
      libDir: null,
      cuda: false,
      cxx11Abi: cxx11Abi(SYSTEM_LIB_DIRS.map((d) => join(d, 'cmake', 'Torch'))),
      version: headerVersion(apiInclude),
      present: inc !== undefined,
    };
  }
  choice.description = describe(choice);
  // What a build depends on: a change of any of these means the addon must be rebuilt.
  choice.key = JSON.stringify([choice.kind, choice.root, choice.includeDirs, choice.libDir, choice.cuda, choice.cxx11Abi, choice.version]);
  return choice;
}

/** What binding.gyp needs, as whitespace-separated words (gyp's <!@(...) splits them). */
export function gypWords(choice, what) {
  switch (what) {
    case 'include':
      return choice.includeDirs;
    case 'libraries': {
      const dir = choice.libDir ? [`-L${choice.libDir}`, `-Wl,-rpath,${choice.libDir}`] : [];
      // --no-as-needed: nothing calls into libtorch_cuda directly, but loading it registers
      // CUDA with libtorch; without it the linker would drop it and CUDA would look absent.
      const cuda = choice.cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [];
      return [...dir, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10', ...cuda];
    }
    case 'defines':
      return [`_GLIBCXX_USE_CXX11_ABI=${choice.cxx11Abi}`, `ABSTAIN_WITH_CUDA=${choice.cuda ? 1 : 0}`];
    default:
      throw new LibtorchError(`--gyp ${what}: use include, libraries or defines`);
  }
}

if (process.argv[1] && real(process.argv[1]) === real(fileURLToPath(import.meta.url))) {
  try {
    const choice = findLibtorch();
    const i = process.argv.indexOf('--gyp');
    if (i >= 0) {
      const words = gypWords(choice, process.argv[i + 1]);
      if (words.some((w) => /\s/.test(w))) throw new LibtorchError(`a libtorch path contains white space, which node-gyp cannot pass on: ${words.join(' ')}`);
      console.log(words.join(' '));
    } else {
      console.log(choice.description);
      console.log(JSON.stringify(choice, null, 2));
    }
  } catch (e) {
    console.error(`abstain: ${e.message}`);
    process.exit(1);
  }
}
