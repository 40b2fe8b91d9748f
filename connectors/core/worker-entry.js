// Entry of an ingestion worker thread (worker-pool.ts).
require('../../infra/load-worker')(__dirname, 'worker');
