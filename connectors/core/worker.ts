/**
 * An ingestion worker thread (started by worker-pool.ts): its own context (referentials, secrets,
 * codec) built from the main thread's configuration, serving `normalise`, `encode` and `release`
 * requests of work.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../infra/config';
import { createContext } from '../../infra/context';
import { createWorkFunctions, type Decision, type NormaliseTask } from './work';

export type WorkRequest =
  | { id: number; op: 'normalise'; taskId: number; task: NormaliseTask }
  | { id: number; op: 'encode'; taskId: number; now: number; decisions: Decision[] }
  | { id: number; op: 'release'; taskId: number };

export type WorkReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = parentPort;
if (port) {
  const ctx = createContext((workerData as { config: Config }).config, 'ingest-worker');
  const work = createWorkFunctions(ctx);
  port.on('message', (req: WorkRequest) => {
    const run = async (): Promise<unknown> => {
      switch (req.op) {
        case 'normalise':
          return work.normalise(req.taskId, req.task);
        case 'encode':
          return work.encode(req.taskId, req.now, req.decisions);
        case 'release':
          return work.release(req.taskId);
      }
    };
    run().then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies WorkReply),
      (err: unknown) =>
        port.postMessage({
          id: req.id,
          ok: false,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies WorkReply),
    );
  });
}
