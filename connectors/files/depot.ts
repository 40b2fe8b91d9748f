/**
 * The drop folder (TDB_DEPOT_DIR): files deposited by SFTP or similar are processed once each.
 *
 *   <depot>/            new files (names starting with "." or ending in .part/.tmp/.filepart are
 *                        ignored: uploads in progress)
 *   <depot>/processing/ a file being processed, renamed `<pid>.<name>` by the process that took it:
 *                        the rename is atomic, so two scanners never process the same file; a file
 *                        whose process is gone (a crash) is taken over and processed again by the
 *                        next scan (safe: change detection makes a replay emit nothing new)
 *   <depot>/done/       processed files, each with `<file>.rapport.json` (the per-row report)
 *   <depot>/failed/     unreadable files (empty, binary, an .xlsx that is not a workbook, no data
 *                        row, no v3 column: table.ts `parseTable`/`checkTable`, the same checks as
 *                        uploads), with the report saying why
 * A file whose name matches an ERP mapping's `filePattern` (gesti_*.csv) is read through that
 * mapping (and is a full snapshot if the mapping says so); any other CSV/XLSX must have the v3
 * field names as columns (like an upload).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import chokidar from 'chokidar';
import type { Config } from '../../infra/config';
import type { Pipeline } from '../core/pipeline';
import type { FileReport } from '../http/report';
import { fileReport } from '../http/report';
import { applyMapping, loadAllMappings, type ErpMapping } from '../mappings/mapping';
import { isRetriable } from '../../infra/errors';
import { checkTable, parseTable } from './table';
import { printable } from '../core/printable';

export const depotDir = (c: Config) => c.TDB_DEPOT_DIR ?? path.join(c.TDB_DATA_DIR, 'depot');

const IGNORED = /^\.|\.(part|tmp|filepart|crdownload|rapport\.json)$/i;

export interface DepotOutcome {
  file: string;
  status: 'done' | 'failed';
  /** Where the file is now. */
  movedTo: string;
  report: FileReport | { fichier: string; erreur: string };
}

async function ensureDirs(root: string): Promise<void> {
  for (const d of ['processing', 'done', 'failed']) await fs.mkdir(path.join(root, d), { recursive: true });
}

/** A free name in `dir` for `name` (suffix -1, -2 … before the extension when taken). */
async function freeName(dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const base = name.slice(0, name.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? name : `${base}-${i}${ext}`;
    try {
      await fs.access(path.join(dir, candidate));
    } catch {
      return candidate;
    }
  }
}

/** The mapping a file name designates, if any. */
export function mappingForFile(name: string, mappings: readonly ErpMapping[]): ErpMapping | undefined {
  return mappings.find((m) => m.filePattern && new RegExp(m.filePattern, 'i').test(name));
}

async function processFile(
  pipeline: Pipeline,
  root: string,
  inProcessing: string,
  mappings: readonly ErpMapping[],
): Promise<DepotOutcome> {
  const name = path.basename(inProcessing).replace(/^\d+\./, '');
  let report: DepotOutcome['report'];
  let status: DepotOutcome['status'] = 'done';
  try {
    const bytes = await fs.readFile(inProcessing);
    const mapping = mappingForFile(name, mappings);
    const table = await parseTable(bytes, {
      filename: name,
      ...(mapping ? { header: (h: string) => h.replace(/^\ufeff/, '').trim() } : {}),
    });
    checkTable(table, { v3Columns: !mapping });
    const result = await pipeline.ingest({
      connector: mapping ? mapping.erp : 'depot',
      erp: mapping?.erp ?? null,
      snapshot: mapping?.snapshot ?? false,
      items: table.rows.map((r, i) => ({
        input: mapping ? applyMapping(mapping, r) : r,
        location: `${printable(name)} ligne ${i + 2}`,
      })),
    });
    report = fileReport(name, table, result);
  } catch (err) {
    // infra/errors.ts: a retriable error (Kafka, Redis) stops the scan and leaves the file in
    // processing/ (taken over after a restart); a permanent one (FileFormatError: not a table of
    // dossiers) moves it to failed/ with the reason.
    if (isRetriable(err)) throw err;
    status = 'failed';
    report = { fichier: name, erreur: (err as Error).message };
  }
  const dir = path.join(root, status);
  const target = await freeName(dir, name);
  await fs.writeFile(path.join(dir, `${target}.rapport.json`), `${JSON.stringify(report, null, 2)}\n`);
  await fs.rename(inProcessing, path.join(dir, target));
  return { file: name, status, movedTo: path.join(dir, target), report };
}

/** Atomic rename; null when the source is gone (another scanner took it first). */
async function claim(from: string, to: string): Promise<string | null> {
  try {
    await fs.rename(from, to);
    return to;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Takes `name` from the drop folder into processing/ under this process' id. */
const take = (root: string, name: string) =>
  claim(path.join(root, name), path.join(root, 'processing', `${process.pid}.${name}`));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Files of processing/ whose process is gone (a crash), taken over by this process. */
async function takeOrphans(root: string): Promise<string[]> {
  const taken: string[] = [];
  for (const f of (await fs.readdir(path.join(root, 'processing'))).sort()) {
    const m = /^(\d+)\.(.+)$/.exec(f);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const t = await claim(
      path.join(root, 'processing', f),
      path.join(root, 'processing', `${process.pid}.${m[2]}`),
    );
    if (t) taken.push(t);
  }
  return taken;
}

/**
 * Processes every file now in the drop folder (and those a crash left in processing/), each once.
 * Returns what happened to each, in name order.
 */
export async function scanDepot(
  pipeline: Pipeline,
  root: string,
  mappings = loadAllMappings(),
): Promise<DepotOutcome[]> {
  await ensureDirs(root);
  const out: DepotOutcome[] = [];
  for (const orphan of await takeOrphans(root)) out.push(await processFile(pipeline, root, orphan, mappings));
  const entries = await fs.readdir(root, { withFileTypes: true });
  for (const e of entries
    .filter((x) => x.isFile() && !IGNORED.test(x.name))
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const taken = await take(root, e.name);
    if (taken) out.push(await processFile(pipeline, root, taken, mappings));
  }
  return out;
}

/**
 * Watches the drop folder (chokidar, waiting until a file's size is stable for `stableMs`) and
 * processes each new file once, one at a time, until `signal` aborts.
 */
export async function watchDepot(
  pipeline: Pipeline,
  root: string,
  signal: AbortSignal,
  onOutcome: (o: DepotOutcome | Error) => void,
  stableMs = 1000,
): Promise<void> {
  const mappings = loadAllMappings();
  for (const o of await scanDepot(pipeline, root, mappings)) onOutcome(o);
  let queue = Promise.resolve();
  const watcher = chokidar.watch(root, {
    depth: 0,
    ignoreInitial: false,
    ignored: (p: string) => p !== root && (IGNORED.test(path.basename(p)) || path.dirname(p) !== root),
    awaitWriteFinish: { stabilityThreshold: stableMs, pollInterval: 100 },
  });
  watcher.on('add', (file: string) => {
    const name = path.basename(file);
    queue = queue.then(async () => {
      try {
        const taken = await take(root, name);
        if (taken) onOutcome(await processFile(pipeline, root, taken, mappings));
      } catch (err) {
        onOutcome(err as Error);
      }
    });
  });
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await watcher.close();
  await queue;
}
