#!/usr/bin/env node
// Entry point of the `tdb` command: runs the compiled build (dist/bin/tdb.js, made by
// `npm run build`, which infra/scripts/ensure-deps.sh runs when a source is newer than the build).
// A missing or stale build is refused, never run: the sources would not be what runs. The
// TypeScript sources can be run directly with `npm run tdb:dev -- <args>` (tsx, a development tool).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SOURCES = ['connectors', 'streams', 'api', 'schemas', 'infra', 'bin'];

/** The first source file (READMEs aside) changed after `since` (ms), or null: one stat per file, a few ms. */
function newerSource(dir, since) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerSource(file, since);
      if (found) return found;
    } else if (!entry.name.endsWith('.md') && fs.statSync(file).mtimeMs > since) return file;
  }
  return null;
}

function refuse(why) {
  process.stderr.write(`tdb: ${why}: run \`npm run build\` (or \`bash infra/scripts/ensure-deps.sh\`)\n`);
  process.exit(1);
}

let built;
try {
  built = fs.statSync(path.join(root, 'dist', '.build-stamp')).mtimeMs;
} catch {
  refuse('no build in dist/');
}
for (const dir of SOURCES) {
  const changed = newerSource(path.join(root, dir), built);
  if (changed) refuse(`the build in dist/ is older than ${path.relative(root, changed)}`);
}
require('../dist/bin/tdb.js');
