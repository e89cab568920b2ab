#!/usr/bin/env node
// The `abstain` command. The compiled CLI lives in dist/; `npm run setup` (or `npm test`,
// `npm run demo`) makes it. npm install alone never builds (package.json: "gypfile": false).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`abstain: not built yet (${main} is missing); run \`npm run setup\` in ${root} (npm install does not build it)`);
  process.exit(1);
}
const { runCli } = await import(pathToFileURL(main).href);
process.exitCode = await runCli(process.argv.slice(2));
