// Which libtorch the set-up builds against (scripts/libtorch.mjs): LIBTORCH, else an installed
// PyTorch's, else Debian's; and what binding.gyp is told for each. Exercised on folder layouts
// built in a temporary directory, plus Debian's python3-torch where this machine has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Choice {
  kind: 'LIBTORCH' | 'pytorch' | 'debian';
  root: string;
  includeDirs: string[];
  libDir: string | null;
  cuda: boolean;
  cxx11Abi: number;
  version: string | null;
  description: string;
  key: string;
}
interface LibtorchModule {
  findLibtorch(o?: { env?: Record<string, string | undefined>; sites?: string[]; includeDirs?: string[] }): Choice;
  gypWords(c: Choice, what: string): string[];
  pythonSites(env: Record<string, string | undefined>, home: string): string[];
  LibtorchError: new (m: string) => Error;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const lt = (await import(pathToFileURL(join(root, 'scripts', 'libtorch.mjs')).href)) as LibtorchModule;

function touch(path: string, text = ''): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A libtorch folder (include/, lib/), as unzipped from pytorch.org or inside a PyTorch as torch/. */
function fakeLibtorch(dir: string, o: { cuda?: boolean; abi?: number; version?: [number, number, number]; pyVersion?: string } = {}): string {
  const api = join(dir, 'include', 'torch', 'csrc', 'api', 'include', 'torch');
  touch(join(api, 'torch.h'));
  const [a, b, c] = o.version ?? [2, 11, 0];
  touch(join(api, 'version.h'), `#define TORCH_VERSION_MAJOR ${a}\n#define TORCH_VERSION_MINOR ${b}\n#define TORCH_VERSION_PATCH ${c}\n`);
  touch(join(dir, 'lib', 'libtorch_cpu.so'));
  if (o.cuda) touch(join(dir, 'lib', 'libtorch_cuda.so'));
  if (o.abi !== undefined) touch(join(dir, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${o.abi}")\n`);
  if (o.pyVersion) touch(join(dir, 'version.py'), `__version__ = '${o.pyVersion}'\n`);
  return dir;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'abstain-libtorch-'));

test('LIBTORCH comes first: its include and lib folders, rpath, and CUDA when libtorch_cuda is there', () => {
  const dir = fakeLibtorch(join(tmp(), 'libtorch'), { cuda: true, version: [2, 4, 1] });
  const site = tmp();
  fakeLibtorch(join(site, 'torch'), { pyVersion: '2.11.0+cpu' });
  const c = lt.findLibtorch({ env: { LIBTORCH: dir }, sites: [site] });
  assert.equal(c.kind, 'LIBTORCH');
  assert.equal(c.version, '2.4.1');
  assert.equal(c.cuda, true);
  assert.deepEqual(c.includeDirs, [join(dir, 'include'), join(dir, 'include', 'torch', 'csrc', 'api', 'include')]);
  assert.equal(c.libDir, join(dir, 'lib'));
  assert.match(c.description, /^LIBTORCH 2\.4\.1 at .* \(CUDA\)$/);
  const libs = lt.gypWords(c, 'libraries');
  assert.deepEqual(libs.slice(0, 2), [`-L${join(dir, 'lib')}`, `-Wl,-rpath,${join(dir, 'lib')}`]);
  assert.ok(libs.indexOf('-Wl,--no-as-needed') < libs.indexOf('-ltorch_cuda'), 'libtorch_cuda is linked even though nothing calls it');
  assert.ok(libs.includes('-lc10_cuda'));
  assert.deepEqual(lt.gypWords(c, 'defines'), ['_GLIBCXX_USE_CXX11_ABI=1', 'ABSTAIN_WITH_CUDA=1']);
  assert.deepEqual(lt.gypWords(c, 'include'), c.includeDirs);
});

test('a LIBTORCH that is not a libtorch folder is one clear error', () => {
  const dir = tmp();
  assert.throws(
    () => lt.findLibtorch({ env: { LIBTORCH: dir }, sites: [] }),
    (e: Error) => e instanceof lt.LibtorchError && /^LIBTORCH=.* is not a libtorch folder \(it needs include\/.*torch\.h and lib\/libtorch_cpu\.so\); point it at/.test(e.message),
  );
});

test("an installed PyTorch comes next: its version string, its C++ ABI, CPU-only without libtorch_cuda", () => {
  const empty = tmp();
  const site = tmp();
  const torch = fakeLibtorch(join(site, 'torch'), { abi: 0, pyVersion: '2.5.1+cpu' });
  const c = lt.findLibtorch({ env: {}, sites: [empty, site] });
  assert.equal(c.kind, 'pytorch');
  assert.equal(c.root, torch);
  assert.equal(c.version, '2.5.1+cpu');
  assert.equal(c.cuda, false);
  assert.equal(c.description, `the PyTorch 2.5.1+cpu at ${torch} (CPU only)`);
  assert.deepEqual(lt.gypWords(c, 'defines'), ['_GLIBCXX_USE_CXX11_ABI=0', 'ABSTAIN_WITH_CUDA=0']);
  assert.ok(!lt.gypWords(c, 'libraries').includes('-ltorch_cuda'));
});

test("without either, Debian's libtorch: system headers and libraries, no -L", () => {
  const inc = tmp();
  touch(join(inc, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'));
  const c = lt.findLibtorch({ env: {}, sites: [tmp()], includeDirs: [inc] });
  assert.equal(c.kind, 'debian');
  assert.deepEqual(c.includeDirs, [join(inc, 'torch', 'csrc', 'api', 'include')]);
  assert.equal(c.libDir, null);
  assert.ok(!lt.gypWords(c, 'libraries').some((w) => w.startsWith('-L')));
  assert.equal(lt.gypWords(c, 'defines')[1], 'ABSTAIN_WITH_CUDA=0');
});

test("a PyTorch whose libraries are the system's (Debian's python3-torch) counts as Debian's", (t) => {
  const system = ['/usr/lib/x86_64-linux-gnu/libtorch_cpu.so', '/usr/lib/aarch64-linux-gnu/libtorch_cpu.so'].find(existsSync);
  if (!system) return t.skip("no system libtorch here");
  const site = tmp();
  const lib = join(fakeLibtorch(join(site, 'torch')), 'lib', 'libtorch_cpu.so');
  // the library is a link to the system's, as python3-torch ships it
  rmSync(lib);
  symlinkSync(system, lib);
  assert.equal(lt.findLibtorch({ env: {}, sites: [site] }).kind, 'debian');
  if (existsSync('/usr/lib/python3/dist-packages/torch/lib/libtorch_cpu.so')) {
    assert.equal(lt.findLibtorch({ env: {}, sites: ['/usr/lib/python3/dist-packages'] }).kind, 'debian');
  }
});

test('the search starts in the active virtual environment, then next to each python3 on PATH', () => {
  const venv = tmp();
  mkdirSync(join(venv, 'lib', 'python3.12', 'site-packages'), { recursive: true });
  const other = tmp();
  touch(join(other, 'bin', 'python3'));
  mkdirSync(join(other, 'lib', 'python3.11', 'dist-packages'), { recursive: true });
  const sites = lt.pythonSites({ VIRTUAL_ENV: venv, PATH: join(other, 'bin') }, tmp());
  assert.equal(sites[0], join(venv, 'lib', 'python3.12', 'site-packages'));
  assert.equal(sites[1], join(other, 'lib', 'python3.11', 'dist-packages'));
  // and a PyTorch found there is the one chosen
  fakeLibtorch(join(venv, 'lib', 'python3.12', 'site-packages', 'torch'), { pyVersion: '2.11.0+cu130', cuda: true });
  const c = lt.findLibtorch({ env: { VIRTUAL_ENV: venv, PATH: join(other, 'bin') } });
  assert.equal(c.kind, 'pytorch');
  assert.match(c.description, /^the PyTorch 2\.11\.0\+cu130 at .* \(CUDA\)$/);
});

test('the build key changes when the libtorch does (so the set-up rebuilds)', () => {
  const a = lt.findLibtorch({ env: { LIBTORCH: fakeLibtorch(join(tmp(), 'a')) }, sites: [] });
  const b = lt.findLibtorch({ env: { LIBTORCH: fakeLibtorch(join(tmp(), 'b'), { cuda: true }) }, sites: [] });
  const c = lt.findLibtorch({ env: {}, sites: [], includeDirs: [tmp()] });
  assert.notEqual(a.key, b.key);
  assert.notEqual(a.key, c.key);
  assert.equal(a.key, lt.findLibtorch({ env: { LIBTORCH: a.root }, sites: [] }).key);
});
