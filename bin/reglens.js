#!/usr/bin/env node

// Command-line entry point (`npx reglens`, `reglens check ...`). The CLI itself is the bundle
// dist/cli.js, built from server/cli/main.ts by `npm run build`; it runs on load.
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`Reglens is not built: run \`npm run build\` (missing ${cli})\n`);
  process.exit(2);
}
require(cli);
