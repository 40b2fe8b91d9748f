// Entry of an ingestion worker thread: loads the TypeScript sources through tsx, like bin/tdb.js.
require('tsx/cjs');
require('./worker.ts');
