/**
 * Where the pipeline's CPU work (work.ts) runs: in the calling thread (`size` 0), or on a pool of
 * worker threads, so that normalisation, encryption and Avro encoding of one chunk overlap with the
 * Redis and Kafka round trips of others. Both steps of a task run on the same worker (it keeps the
 * normalised records between them). TDB_INGEST_WORKERS sets the size.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../infra/config';
import type { Context } from '../../infra/context';
import {
  createWorkFunctions,
  type Decision,
  type EncodedChanges,
  type NormaliseTask,
  type NormalisedItem,
} from './work';
import type { WorkReply, WorkRequest } from './worker';

export interface WorkHandle {
  readonly taskId: number;
  readonly worker: number;
}

export interface WorkPool {
  normalise(task: NormaliseTask): Promise<{ handle: WorkHandle; items: NormalisedItem[] }>;
  encode(handle: WorkHandle, now: number, decisions: readonly Decision[]): Promise<EncodedChanges>;
  release(handle: WorkHandle): void;
  close(): Promise<void>;
}

let nextTaskId = 1;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The work done in the calling thread (no copies). */
export function inThreadPool(ctx: Context): WorkPool {
  const work = createWorkFunctions(ctx);
  return {
    async normalise(task) {
      const taskId = nextTaskId++;
      return { handle: { taskId, worker: -1 }, items: await work.normalise(taskId, task) };
    },
    encode: (handle, now, decisions) => work.encode(handle.taskId, now, decisions),
    release: (handle) => work.release(handle.taskId),
    close: async () => undefined,
  };
}

/**
 * Size of the pool by default: one thread per core, at most 4. The main thread mostly waits on
 * Redis and Kafka; measured on 2 cores, 2 workers ingest faster than 1 (bench:ingest).
 */
export function defaultPoolSize(cores: number): number {
  return Math.max(1, Math.min(4, cores));
}

/**
 * Small tasks in the calling thread, large ones on the worker threads. A thread round trip costs
 * more than normalising a handful of records, and the pipeline prepares its units one at a time:
 * an ERP pushing a few records must not wait for two thread hops.
 */
export function hybridPool(inThread: WorkPool, workers: WorkPool, smallTask: number): WorkPool {
  const of = (handle: WorkHandle) => (handle.worker === -1 ? inThread : workers);
  return {
    normalise: (task) => (task.items.length < smallTask ? inThread : workers).normalise(task),
    encode: (handle, now, decisions) => of(handle).encode(handle, now, decisions),
    release: (handle) => of(handle).release(handle),
    close: async () => {
      await Promise.all([inThread.close(), workers.close()]);
    },
  };
}

export function workerThreadPool(config: Config, size: number): WorkPool {
  const entry = path.join(__dirname, 'worker-entry.js');
  const pending = new Map<
    number,
    { worker: number; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let turn = 0;
  let closed = false;
  const workers: Worker[] = [];
  /** Starts worker `i`; a worker that dies fails its pending calls and is replaced. */
  const spawn = (i: number) => {
    const w = new Worker(entry, { workerData: { config } });
    w.on('message', (reply: WorkReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`ingestion worker: ${reply.error}`));
    });
    const fail = (err: Error) => {
      for (const [id, p] of pending) {
        if (p.worker !== i) continue;
        pending.delete(id);
        p.reject(err);
      }
      if (!closed && workers[i] === w) spawn(i);
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`ingestion worker ${i} exited (code ${code})`)));
    workers[i] = w;
  };
  for (let i = 0; i < size; i++) spawn(i);
  const call = <T>(worker: number, req: WithoutId<WorkRequest>): Promise<T> => {
    if (closed) return Promise.reject(new Error('ingestion worker pool closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { worker, resolve: resolve as (v: unknown) => void, reject });
      workers[worker]!.postMessage({ ...req, id });
    });
  };
  return {
    async normalise(task) {
      const worker = turn++ % size;
      const taskId = nextTaskId++;
      const items = await call<NormalisedItem[]>(worker, { op: 'normalise', taskId, task });
      return { handle: { taskId, worker }, items };
    },
    encode: (handle, now, decisions) =>
      call<EncodedChanges>(handle.worker, {
        op: 'encode',
        taskId: handle.taskId,
        now,
        decisions: [...decisions],
      }),
    release(handle) {
      void call(handle.worker, { op: 'release', taskId: handle.taskId }).catch(() => undefined);
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
