/**
 * The Yparéo connector: fetches a Yparéo JSON export over HTTP (bearer token optional), maps each
 * learner through mappings/ypareo.json and sends them through the shared pipeline as one
 * transmission (connector "ypareo"); repeated every `intervalMs` by `pollYpareo`.
 */
import type { IngestResult, Pipeline } from '../core/pipeline';
import { applyMapping, loadMapping, valueAt, type ErpMapping } from '../mappings/mapping';
import { RetriableError } from '../../infra/errors';

export class YpareoFetchError extends RetriableError {
  override name = 'YpareoFetchError';
}

export interface YpareoSource {
  url: string;
  token?: string;
  /** Default: mappings/ypareo.json. */
  mapping?: ErpMapping;
}

/** One fetch and ingestion. Throws YpareoFetchError when the export cannot be read. */
export async function pollYpareoOnce(pipeline: Pipeline, src: YpareoSource): Promise<IngestResult> {
  const mapping = src.mapping ?? loadMapping('ypareo');
  let doc: unknown;
  try {
    const res = await fetch(src.url, {
      headers: { accept: 'application/json', ...(src.token ? { authorization: `Bearer ${src.token}` } : {}) },
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok) throw new YpareoFetchError(`${src.url}: HTTP ${res.status}`);
    doc = await res.json();
  } catch (err) {
    if (err instanceof YpareoFetchError) throw err;
    throw new YpareoFetchError(`${src.url}: ${(err as Error).message}`);
  }
  const records = valueAt(doc, mapping.records ?? '');
  if (!Array.isArray(records))
    throw new YpareoFetchError(`${src.url}: no array at "${mapping.records ?? ''}" in the export`);
  return pipeline.ingest({
    connector: 'ypareo',
    erp: mapping.erp,
    snapshot: mapping.snapshot,
    items: records.map((r, i) => ({
      input: applyMapping(mapping, r),
      location: `export Yparéo apprenant ${i + 1}`,
    })),
  });
}

/**
 * Polls until `signal` aborts: one ingestion, then waits `intervalMs` (from the end of the
 * previous one, so slow exports never overlap). Errors are reported and retried at the next tick.
 */
export async function pollYpareo(
  pipeline: Pipeline,
  src: YpareoSource,
  intervalMs: number,
  signal: AbortSignal,
  onResult: (r: IngestResult | Error) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      onResult(await pollYpareoOnce(pipeline, src));
    } catch (err) {
      onResult(err as Error);
    }
    if (signal.aborted) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
