/**
 * The pipeline every connector shares: parse (the connector's job) → validate → normalise →
 * identify → detect change → produce.
 *
 * One call of `ingest` is one transmission (an API call, a file, a snapshot, a Yparéo fetch). Its
 * items are processed in chunks of CHUNK_SIZE:
 * - the CPU work (validation, normalisation, fingerprints; then, for changed records only,
 *   encryption of the identity and Avro) runs on worker threads (work.ts, worker-pool.ts);
 * - the main thread reads the chunk's states in one HMGET, decides what changed (and the versions),
 *   sends the chunk's events through the idempotent producer (acks from all replicas; one
 *   `sendBatch`, or several in order when a partition's share would pass the broker's message size:
 *   send-plan.ts) and writes the states with one HSET after the broker's acknowledgement;
 * - after any failed send the producer is replaced (a new producer id, sequence numbers from 0):
 *   kafkajs' idempotent producer can lose track of its sequence numbers after a partial failure,
 *   and every later request would then be refused (OUT_OF_ORDER_SEQUENCE_NUMBER);
 * - chunks are prepared while the previous one is being sent, in order, across calls (stages.ts):
 *   one process is the one writer of its records' states.
 * Output topics (infra/kafka/topics.ts): `changes` and the compacted `latest`
 * (DossierApprenantChange, key = record key); `deadLetter` (RejectedRecord: errors in clear,
 * original input sealed with the data key); `transmissions` (one TransmissionReport per
 * organisation of the transmission, after its events).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Context } from '../../infra/context';
import {
  ACKS_ALL,
  createIdempotentProducer,
  keyPartition,
  partitionCounts,
  type Message,
  type Producer,
} from '../../infra/kafka/client';
import type { EventCodec } from '../../infra/kafka/codec';
import type {
  DossierApprenantChange,
  FrApprentissageTdb,
} from '../../schemas/generated/DossierApprenantChange';
import type { TransmissionReport } from '../../schemas/generated/TransmissionReport';
import { changedFields, FINGERPRINT_LAYOUT } from './fingerprint';
import type { ValidationIssue, Warning } from './issues';
import { DEFAULT_LIMITS, frenchNumber, type IngestLimits } from './limits';
import { logger } from '../../infra/log';
import { sealJson } from '../../infra/crypto';
import { messageBytes, planRequests } from './send-plan';
import { redisStateStore, type RecordState, type StateStore } from './state-store';
import { createStageRunner, StaleUnitError, type PreparedUnit, type TopicBatch } from './stages';
import { deadLetterOwner, looseIdentity, rejectedRecord, type Decision, type Organisation } from './work';
import { defaultPoolSize, hybridPool, inThreadPool, workerThreadPool, type WorkPool } from './worker-pool';
import { RetriableError } from '../../infra/errors';

export type { Organisation } from './work';

/** One input item and where it came from (for reports and the dead-letter topic). */
export interface InputItem {
  input: unknown;
  /** For humans, counted from 1: "élément 1" (the first item), "export.csv ligne 12" (header = 1), … */
  location: string;
}

/**
 * The transmission's events could not be written to Kafka (broker unavailable, request refused):
 * nothing of the failed group was committed; the caller may retry (the push API answers 503).
 * `cause` holds the client's error (logged, never shown to ERPs).
 */
export class TransmissionError extends RetriableError {
  override name = 'TransmissionError';
}

export interface Transmission {
  /** api-v3, televersement, depot, ypareo, gesti, … */
  connector: string;
  erp?: string | null;
  /**
   * The organisation that sent the transmission (the API key's). Without it (drop folder, Gesti,
   * Yparéo), one report is produced per formateur organisation found in the items.
   */
  organisme?: Organisation;
  items: readonly InputItem[];
  /**
   * The transmission is a full snapshot of its organisations for the school years it contains: a
   * record of the previous snapshot missing from this one emits NOT_TRANSMITTED.
   */
  snapshot?: boolean;
  /**
   * The API key's organisation: only the records it may write are accepted (its own formateur,
   * or a formateur attached to it as responsable in the relations referential: authorisation.ts);
   * the others are rejected with ORGANISME_NON_AUTORISE naming the field.
   */
  authorised?: Organisation;
}

export type ItemStatus = 'cree' | 'modifie' | 'inchange' | 'rejete';

export interface ItemOutcome {
  location: string;
  status: ItemStatus;
  record_key: string | null;
  version: number | null;
  changed_fields: string[];
  errors: ValidationIssue[];
  warnings: Warning[];
}

export interface IngestResult {
  batch_id: string;
  items: ItemOutcome[];
  reports: TransmissionReport[];
  /** Records of previous snapshots missing from this one (NOT_TRANSMITTED events emitted). */
  non_transmis: number;
}

/** Items per Redis round trip (and per `sendBatch`, unless the plan of send-plan.ts cuts it). */
export const CHUNK_SIZE = 2000;
/** Transmissions smaller than this are normalised and encoded in the calling thread (worker-pool.ts hybridPool). */
const SMALL_TASK = 64;
/** Chunks normalised ahead of their turn (bounds the memory of a large file). */
const READ_AHEAD = 4;

export interface PipelineOptions {
  /** The state store (default: Redis of the context). */
  store?: StateStore;
  /** Items per chunk (default CHUNK_SIZE). */
  chunkSize?: number;
  /** Worker threads (default TDB_INGEST_WORKERS; 0: all in the calling thread). */
  workers?: number;
  /** Called with every request before it is sent (metrics, the benchmark's message sizes). */
  onSend?: (topicMessages: readonly { topic: string; messages: readonly Message[] }[]) => void;
  /** Size limits (default DEFAULT_LIMITS of limits.ts; tests raise them to provoke a broker refusal). */
  limits?: Partial<IngestLimits>;
}

export interface Pipeline {
  /** Ingests one transmission; resolves once its events were acknowledged by the broker. */
  ingest(t: Transmission): Promise<IngestResult>;
  /** Disconnects the producer and stops the worker threads. */
  close(): Promise<void>;
}

/** A counting semaphore (read-ahead of chunks). */
function semaphore(permits: number) {
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (permits > 0) {
        permits--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else permits++;
    },
  };
}

const asBuffer = (u: Uint8Array) =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function createPipeline(ctx: Context, opts: PipelineOptions = {}): Pipeline {
  const store = opts.store ?? redisStateStore(ctx.redis, ctx.keys);
  const chunkSize = opts.chunkSize ?? CHUNK_SIZE;
  const workers = opts.workers ?? ctx.config.TDB_INGEST_WORKERS ?? defaultPoolSize(os.availableParallelism());
  // Started on first use: building the app (tests, the read API) must not start threads.
  let poolInstance: WorkPool | undefined;
  const getPool = () =>
    (poolInstance ??=
      workers > 0
        ? hybridPool(inThreadPool(ctx), workerThreadPool(ctx.config, workers), SMALL_TASK)
        : inThreadPool(ctx));
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = logger('ingest');
  const stages = createStageRunner((batches) => send(batches));
  const readAhead = semaphore(READ_AHEAD);
  const outputTopics = [
    ctx.topics.changes,
    ctx.topics.latest,
    ctx.topics.deadLetter,
    ctx.topics.transmissions,
  ];
  /** The producer and the partition counts of the output topics (to size requests per partition). */
  let producer: Promise<{ p: Producer; partitions: Map<string, number> }> | undefined;

  const getProducer = () =>
    (producer ??= (async () => {
      const p = createIdempotentProducer(ctx.kafka);
      try {
        await p.connect();
        return { p, partitions: await partitionCounts(ctx.kafka, outputTopics) };
      } catch (err) {
        producer = undefined; // the next transmission tries again
        await p.disconnect().catch(() => undefined);
        throw new TransmissionError(`kafka: ${(err as Error).message}`, { cause: err });
      }
    })());

  /**
   * Replaces the producer after a failed send: the next request starts with a new producer id
   * (kafkajs may otherwise keep sequence numbers the broker never acknowledged).
   */
  async function resetProducer(): Promise<void> {
    const old = producer;
    producer = undefined;
    await old?.then(({ p }) => p.disconnect()).catch(() => undefined);
  }

  /** Sends one group's messages, in requests the broker accepts (send-plan.ts), one after the other. */
  async function send(topicMessages: TopicBatch[]): Promise<void> {
    const batches = topicMessages.filter((tm) => tm.messages.length > 0);
    if (batches.length === 0) return;
    const { p, partitions } = await getProducer();
    // `changes` and `latest` carry the same keys: each key is hashed once per partition count.
    const memo = new Map<number, Map<string, number>>();
    const requests = planRequests(
      batches,
      (topic, key) => {
        const n = partitions.get(topic);
        if (n === undefined || key === null || key === undefined) return null;
        if (typeof key !== 'string') return keyPartition(key, n);
        let byKey = memo.get(n);
        if (!byKey) memo.set(n, (byKey = new Map()));
        let partition = byKey.get(key);
        if (partition === undefined) byKey.set(key, (partition = keyPartition(key, n)));
        return partition;
      },
      limits.requestPartitionBytes,
      limits.messageBytes,
    );
    try {
      for (const request of requests) {
        opts.onSend?.(request);
        await p.sendBatch({ acks: ACKS_ALL, topicMessages: request });
      }
    } catch (err) {
      log.error({ err }, 'kafka refused or could not receive a batch: producer replaced');
      await resetProducer();
      throw new TransmissionError(`kafka: ${(err as Error).message}`, { cause: err });
    }
  }

  async function ingest(t: Transmission): Promise<IngestResult> {
    const codec: EventCodec = await ctx.codec();
    await getProducer();
    const taskLimits = { itemBytes: limits.itemBytes, deadLetterInputBytes: limits.deadLetterInputBytes };
    const batchId = randomUUID();
    const now = ctx.clock.now();
    const sameSchema = codec.ids[ctx.topics.changes] === codec.ids[ctx.topics.latest];
    const outcomes: ItemOutcome[] = new Array(t.items.length);
    const source = (o: Organisation): FrApprentissageTdb.Source => ({
      connector: t.connector,
      erp: t.erp ?? null,
      organisme_uai: o.uai,
      organisme_siret: o.siret,
    });
    // Report counters per organisation (key "uai:siret").
    const counters = new Map<string, TransmissionReport>();
    const counter = (o: Organisation | null): TransmissionReport => {
      const org = t.organisme ?? o ?? { uai: '', siret: '' };
      const k = `${org.uai}:${org.siret}`;
      let c = counters.get(k);
      if (!c) {
        c = {
          batch_id: batchId,
          received_at: now,
          connector: t.connector,
          erp: t.erp ?? null,
          organisme_uai: org.uai,
          organisme_siret: org.siret,
          recus: 0,
          acceptes: 0,
          rejetes: 0,
          inchanges: 0,
          crees: 0,
          modifies: 0,
          non_transmis: 0,
        };
        counters.set(k, c);
      }
      return c;
    };
    if (t.organisme) counter(null); // an empty transmission is still reported
    /** Record keys present per (formateur UAI, year), for snapshots. */
    const present = new Map<string, Set<string>>();
    const markPresent = (key: string | null) => {
      if (!t.snapshot || key === null) return;
      const [uai, annee] = key.split(':');
      const k = `${uai}:${annee}`;
      let set = present.get(k);
      if (!set) present.set(k, (set = new Set()));
      set.add(key);
    };

    /**
     * A dead-letter record built here (the rare items rejected after normalisation, or whose record
     * came out over the message size): with the (size-capped) input when it fits in a message,
     * else with the errors only and `{"$tronque": {octets: null, limite: 0}}` (nothing of the input kept).
     */
    const deadLetterOf = async (
      index: number,
      errors: ValidationIssue[],
      c: TransmissionReport | null,
      withInput = true,
    ): Promise<Buffer> => {
      const item = t.items[index]!;
      const org = c
        ? { uai: c.organisme_uai, siret: c.organisme_siret }
        : deadLetterOwner(t.authorised ?? null, looseIdentity(item.input).organisation, t.organisme ?? null);
      const rejected = rejectedRecord(ctx.secrets.dataKey, {
        now,
        connector: t.connector,
        organisation: org,
        location: item.location,
        errors,
        input: withInput ? item.input : null,
        inputBytes: limits.deadLetterInputBytes,
      });
      if (withInput) {
        const value = await codec.encode('deadLetter', rejected);
        if (value.length + 200 <= limits.messageBytes) return value;
      }
      rejected.input_chiffre = sealJson(ctx.secrets.dataKey, { $tronque: { octets: null, limite: 0 } });
      return codec.encode('deadLetter', rejected);
    };

    /** One chunk: compare the normalised items with the states, decide, have the changes encoded. */
    const prepareChunk = async (
      start: number,
      normalised: Awaited<ReturnType<WorkPool['normalise']>>,
      overlay: (key: string) => RecordState | undefined,
    ): Promise<PreparedUnit> => {
      const { handle, items } = normalised;
      const unread: string[] = [];
      for (const n of items) if (n.ok && overlay(n.key) === undefined) unread.push(n.key);
      const read = await store.read(unread);
      const stored = new Map<string, RecordState | null>();
      unread.forEach((k, i) => stored.set(k, read[i] ?? null));

      const pending = new Map<string, RecordState>();
      const decisions: Decision[] = [];
      const decidedKeys: string[] = [];
      const decidedCounters: TransmissionReport[] = [];
      const dead: Message[] = [];
      for (let i = 0; i < items.length; i++) {
        const n = items[i]!;
        const index = start + i;
        const location = t.items[index]!.location;
        if (!n.ok) {
          const c = counter(n.organisation);
          c.recus++;
          c.rejetes++;
          markPresent(n.key);
          outcomes[index] = {
            location,
            status: 'rejete',
            record_key: n.key,
            version: null,
            changed_fields: [],
            errors: n.errors,
            warnings: [],
          };
          let value = asBuffer(n.deadLetter);
          if (messageBytes({ key: n.key, value }) > limits.messageBytes) {
            log.error(
              { index, bytes: value.length },
              'dead-letter record over the message size limit: input left out',
            );
            value = await deadLetterOf(index, n.errors, null, false);
          }
          dead.push({ key: n.key ?? `${batchId}:${index}`, value });
          continue;
        }
        const c = counter(n.organisation);
        c.recus++;
        c.acceptes++;
        markPresent(n.key);
        const prev = pending.get(n.key) ?? overlay(n.key) ?? stored.get(n.key) ?? null;
        const changed = prev ? changedFields(prev.fingerprint, prev.layout, n.fingerprint) : [];
        if (prev && changed.length === 0 && !prev.notTransmitted) {
          c.inchanges++;
          outcomes[index] = {
            location,
            status: 'inchange',
            record_key: n.key,
            version: prev.version,
            changed_fields: [],
            errors: [],
            warnings: n.warnings,
          };
          continue;
        }
        const version = (prev?.version ?? 0) + 1;
        // The INE's key when there is an INE; otherwise the record keeps the key it had (kind 1).
        const pk = n.personKeyIne ?? prev?.personKey ?? n.personKeyNpd;
        if (prev) c.modifies++;
        else c.crees++;
        decisions.push({
          index: i,
          operation: prev ? 'UPDATE' : 'CREATE',
          version,
          changed_fields: changed,
          person_key: pk,
          source: source(t.organisme ?? n.organisation),
        });
        decidedKeys.push(n.key);
        decidedCounters.push(c);
        pending.set(n.key, {
          layout: FINGERPRINT_LAYOUT,
          version,
          fingerprint: n.fingerprint,
          personKey: pk,
          notTransmitted: false,
        });
        outcomes[index] = {
          location,
          status: prev ? 'modifie' : 'cree',
          record_key: n.key,
          version,
          changed_fields: changed,
          errors: [],
          warnings: n.warnings,
        };
      }
      const changes: Message[] = [];
      const latest: Message[] = [];
      if (decisions.length > 0) {
        const encoded = await getPool().encode(handle, now, decisions);
        for (let k = 0; k < decisions.length; k++) {
          const value = asBuffer(encoded.changes[k]!);
          const key = decidedKeys[k]!;
          const other = encoded.latest ? asBuffer(encoded.latest[k]!) : value;
          const bytes = Math.max(messageBytes({ key, value }), messageBytes({ key, value: other }));
          if (bytes > limits.messageBytes) {
            // Cannot happen with the schema's length limits: a bug, caught here rather than by the broker.
            log.error({ key, bytes }, 'change event over the message size limit: item rejected');
            const d = decisions[k]!;
            const c = decidedCounters[k]!;
            c.acceptes--;
            c.rejetes++;
            if (d.operation === 'UPDATE') c.modifies--;
            else c.crees--;
            pending.delete(key);
            const index = start + d.index;
            const errors: ValidationIssue[] = [
              {
                code: 'DOSSIER_TROP_VOLUMINEUX',
                path: '(dossier)',
                message: `dossier trop volumineux : son événement ferait ${frenchNumber(bytes)} octets, ${frenchNumber(limits.messageBytes)} au plus`,
              },
            ];
            outcomes[index] = {
              ...outcomes[index]!,
              status: 'rejete',
              version: null,
              changed_fields: [],
              errors,
            };
            dead.push({ key, value: await deadLetterOf(index, errors, c) });
            continue;
          }
          changes.push({ key, value });
          latest.push({ key, value: other });
        }
      } else getPool().release(handle);
      return {
        states: pending,
        messages: [
          { topic: ctx.topics.changes, messages: changes },
          { topic: ctx.topics.latest, messages: latest },
          { topic: ctx.topics.deadLetter, messages: dead },
        ],
        commit: () => store.write(pending),
      };
    };

    /** End of the transmission: NOT_TRANSMITTED of a snapshot's missing records, the reports. */
    let nonTransmis = 0;
    const prepareEnd = async (overlay: (key: string) => RecordState | undefined): Promise<PreparedUnit> => {
      const changes: Message[] = [];
      const latest: Message[] = [];
      const flagged = new Map<string, RecordState>();
      for (const [scope, keys] of present) {
        const [uai, annee] = scope.split(':') as [string, string];
        const missing = (await store.snapshotMembers(uai, annee)).filter((k) => !keys.has(k));
        const toRead = missing.filter((k) => overlay(k) === undefined);
        const read = await store.read(toRead);
        const stored = new Map<string, RecordState | null>();
        toRead.forEach((k, i) => stored.set(k, read[i] ?? null));
        const siret = [...counters.values()].find((r) => r.organisme_uai === uai)?.organisme_siret ?? '';
        const org = t.organisme ?? { uai, siret };
        for (const key of missing) {
          const s = overlay(key) ?? stored.get(key) ?? null;
          if (!s || s.notTransmitted) continue;
          const envelope: DossierApprenantChange = {
            event_id: randomUUID(),
            operation: 'NOT_TRANSMITTED',
            record_key: key,
            person_key: s.personKey,
            version: s.version + 1,
            source: source(org),
            event_time: now,
            ingestion_time: now,
            changed_fields: [],
            after: null,
          };
          const value = await codec.encode('changes', envelope);
          changes.push({ key, value });
          latest.push({ key, value: sameSchema ? value : await codec.encode('latest', envelope) });
          flagged.set(key, { ...s, version: s.version + 1, notTransmitted: true });
          counter(org).non_transmis++;
          nonTransmis++;
        }
      }
      const reports: Message[] = [];
      for (const r of counters.values()) {
        reports.push({
          key: `${r.organisme_uai}:${r.organisme_siret}`,
          value: await codec.encode('transmissions', r),
        });
      }
      return {
        states: flagged,
        messages: [
          { topic: ctx.topics.changes, messages: changes },
          { topic: ctx.topics.latest, messages: latest },
          { topic: ctx.topics.transmissions, messages: reports },
        ],
        async commit() {
          await store.write(flagged);
          for (const [scope, keys] of present) {
            const [uai, annee] = scope.split(':') as [string, string];
            await store.replaceSnapshot(uai, annee, [...keys]);
          }
        },
      };
    };

    const units: Promise<void>[] = [];
    for (let start = 0; start < t.items.length; start += chunkSize) {
      const end = Math.min(t.items.length, start + chunkSize);
      await readAhead.acquire();
      // Normalisation does not depend on any state: it starts now, on a worker, ahead of its turn.
      const normalised = getPool().normalise({
        connector: t.connector,
        now,
        items: t.items.slice(start, end),
        authorised: t.authorised ?? null,
        organisme: t.organisme ?? null,
        limits: taskLimits,
      });
      normalised.catch(() => undefined); // awaited by its unit
      const unit = stages.submit(async (overlay) => {
        try {
          return await prepareChunk(start, await normalised, overlay);
        } finally {
          readAhead.release();
        }
      });
      unit.catch(() => undefined); // awaited below
      units.push(unit);
    }
    // A snapshot's end reads the members of earlier snapshots: after every earlier unit was sent.
    units.push(stages.submit(prepareEnd, t.snapshot === true));
    try {
      await Promise.all(units);
    } catch (err) {
      // A unit not sent because an earlier one failed: the same failure, for the caller.
      if (err instanceof StaleUnitError) throw new TransmissionError(err.message, { cause: err });
      throw err;
    }
    return { batch_id: batchId, items: outcomes, reports: [...counters.values()], non_transmis: nonTransmis };
  }

  return {
    ingest,
    async close() {
      await poolInstance?.close();
      const p = producer;
      producer = undefined;
      if (p) await p.then(({ p: prod }) => prod.disconnect()).catch(() => undefined);
    },
  };
}
