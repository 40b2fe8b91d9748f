// Entry of a file-parsing worker thread (parse-pool.ts): loads the TypeScript sources through tsx, like bin/tdb.js.
require('tsx/cjs');
require('./parse-worker.ts');
