// Entry of a file-parsing worker thread (parse-pool.ts).
require('../../infra/load-worker')(__dirname, 'parse-worker');
