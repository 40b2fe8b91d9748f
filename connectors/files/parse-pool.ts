/**
 * Where uploaded files are parsed: worker threads (parse-worker.ts), never the API's main thread,
 * so that reading a hostile or large workbook cannot delay other requests (health checks, reads):
 * issue 11, finding 3. The main thread only receives the rows, in batches.
 *
 * - `size` workers (default 2), started on first use and kept; files beyond that wait their turn
 *   (in order).
 * - Each file has `timeoutMs` (default 60 s) and each worker `heapMb` (default 1 GiB of old
 *   generation, Node's resourceLimits): a file past either is refused with FileLimitError.
 * - A file refused by a bound of TABLE_LIMITS (or as not a table) stops its reading where the
 *   bound was passed: the parser throws, its streams are destroyed, the worker is reused. A worker
 *   past its time or heap budget, or that failed otherwise, is ended and a replacement started at
 *   once (warm for the next file); only its own file fails.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileFormatError } from './csv';
import { FileLimitError } from './limits';
import type { ParseReply, ParseRequest } from './parse-worker';
import type { Table } from './table';

export interface ParsePoolOptions {
  size?: number;
  timeoutMs?: number;
  heapMb?: number;
}

export interface ParsePool {
  /** Parses a file on a worker thread (`bytes` may be transferred: do not use it afterwards). */
  parse(bytes: Buffer, filename: string): Promise<Table>;
  close(): Promise<void>;
}

interface Job {
  bytes: Buffer;
  filename: string;
  resolve(t: Table): void;
  reject(err: Error): void;
}

export function createParsePool(opts: ParsePoolOptions = {}): ParsePool {
  const size = opts.size ?? 2;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const heapMb = opts.heapMb ?? 1024;
  const entry = path.join(__dirname, 'parse-worker-entry.js');
  const idle: Worker[] = [];
  const queue: Job[] = [];
  let running = 0;
  let closed = false;
  let nextId = 1;
  const all = new Set<Worker>();

  const spawn = () => {
    const w = new Worker(entry, { resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    all.add(w);
    w.on('exit', () => {
      all.delete(w);
      const i = idle.indexOf(w); // a worker that died while idle is not given a file
      if (i >= 0) idle.splice(i, 1);
    });
    return w;
  };

  function run(job: Job, w: Worker): void {
    const id = nextId++;
    const rows: Record<string, unknown>[] = [];
    let settled = false;
    const finish = (keep: boolean, outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      running--;
      if (keep && !closed) idle.push(w);
      else {
        void w.terminate();
        // A warm replacement, so that the next file does not wait for a worker to start.
        if (!closed && idle.length === 0) idle.push(spawn());
      }
      outcome();
      next();
    };
    const onMessage = (m: ParseReply) => {
      if (m.id !== id) return;
      switch (m.type) {
        case 'rows':
          for (const r of m.rows) rows.push(r);
          return;
        case 'done':
          return finish(true, () =>
            job.resolve({ format: m.format, rows, encoding: m.encoding, separator: m.separator }),
          );
        case 'refused':
          // A bound or a format refused the file: the reading stopped there (its streams are
          // destroyed when the parser throws), the worker is reused.
          return finish(true, () =>
            job.reject(
              m.limite === null ? new FileFormatError(m.message) : new FileLimitError(m.message, m.limite),
            ),
          );
        case 'failed':
          return finish(false, () => job.reject(new Error(`parse worker: ${m.message}`)));
      }
    };
    const onError = (err: Error & { code?: string }) =>
      finish(false, () =>
        job.reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new FileLimitError(
                `fichier trop lourd à analyser (plus de ${heapMb} Mio de mémoire) : découpez-le ou enregistrez-le au format CSV`,
                heapMb * 1024 * 1024,
              )
            : new Error(`parse worker: ${err.message}`),
        ),
      );
    const onExit = (code: number) =>
      finish(false, () => job.reject(new Error(`parse worker exited (code ${code}) while parsing a file`)));
    const timer = setTimeout(
      () =>
        finish(false, () =>
          job.reject(
            new FileLimitError(
              `analyse du fichier trop longue (plus de ${Math.ceil(timeoutMs / 1000)} s) : découpez-le ou enregistrez-le au format CSV`,
              timeoutMs,
            ),
          ),
        ),
      timeoutMs,
    );
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    const b = job.bytes;
    // The upload's own buffer is handed over (no copy) when it is not a slice of a shared pool.
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
    const bytes = whole ? new Uint8Array(b.buffer) : new Uint8Array(b);
    const req: ParseRequest = { id, bytes, filename: job.filename };
    w.postMessage(req, [bytes.buffer as ArrayBuffer]);
  }

  function next(): void {
    while (!closed && running < size && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      run(job, idle.pop() ?? spawn());
    }
  }

  return {
    parse(bytes, filename) {
      if (closed) return Promise.reject(new Error('parse pool closed'));
      return new Promise<Table>((resolve, reject) => {
        queue.push({ bytes, filename, resolve, reject });
        next();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('parse pool closed'));
      await Promise.all([...all].map((w) => w.terminate()));
      idle.length = 0;
    },
  };
}
