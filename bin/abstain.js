#!/usr/bin/env node
// The `abstain` command. The compiled CLI lives in dist/; `npm run build` (or `npm test`,
// `npm run demo`) makes it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`abstain: not built yet (${main} is missing); run \`npm run build\` in ${root}`);
  process.exit(1);
}
const { runCli } = await import(pathToFileURL(main).href);
process.exitCode = await runCli(process.argv.slice(2));
