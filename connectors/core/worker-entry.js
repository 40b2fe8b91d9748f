// Entry of an ingestion worker thread. From the build (dist/, what the platform's processes run):
// the compiled worker beside this file. From the sources (tests load them through ts-jest): the
// TypeScript worker through tsx, a development dependency.
const fs = require('node:fs');
const path = require('node:path');

if (fs.existsSync(path.join(__dirname, 'worker.js'))) {
  require('./worker.js');
} else {
  require('tsx/cjs');
  require('./worker.ts');
}
