// The install step (issue 9): npm must never build the native addon behind the user's back.
// npm adds an implicit `node-gyp rebuild` install script to a package with a binding.gyp unless
// "gypfile" is false or the package defines install/preinstall itself; that rebuild took 29 s
// on the first `npx abstain`, and a Ctrl-C during it deleted the addon. scripts/setup.mjs is the
// one build step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './cli/helpers.js';

test('package.json turns off npm\'s implicit node-gyp rebuild and has no install script that builds', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.gypfile, false, 'without "gypfile": false npm runs `node-gyp rebuild` on install');
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.doesNotMatch(pkg.scripts[hook] ?? '', /node-gyp|setup\.mjs(?! --check)/, `${hook} must not build`);
  }
  assert.match(pkg.scripts.test, /setup\.mjs --test/, 'npm test sets up what the tests need');
});

test('setup --test installs what the tests would otherwise skip: chromium and python3-torch', () => {
  const setup = readFileSync(join(root, 'scripts', 'setup.mjs'), 'utf8');
  for (const pkg of ['chromium', 'python3-torch']) {
    assert.ok(new RegExp(`name: '${pkg}'.*forTests: true`).test(setup), `scripts/setup.mjs --test must install ${pkg}`);
  }
});
