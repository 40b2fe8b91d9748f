#!/usr/bin/env node
// Entry point of the `tdb` command: runs the TypeScript sources through tsx (no build step to forget).
require('tsx/cjs');
require('./tdb.ts');
