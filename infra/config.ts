/**
 * Configuration of every process of the platform, read once from the environment and validated.
 *
 * Every setting has a documented default that works on a developer machine (all services on
 * 127.0.0.1, data under `.data/` in the repository). The README's configuration table lists them.
 * An invalid value stops the process with a message naming the variable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PermanentError } from './errors';

/** The repository root: the nearest folder above this file with a package.json (it runs from infra/ or dist/infra/). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const optionalPath = z
  .string()
  .optional()
  .transform((v) => (v ? path.resolve(v) : undefined));
/** A referential file given by path: it must exist (checked at start-up, before anything runs). */
const existingFile = optionalPath.refine((v) => v === undefined || fs.existsSync(v), {
  message: `no such file (relative paths are resolved from the current directory, ${process.cwd()})`,
});

const schema = z.object({
  /** Root of every service's data, logs and pid files. */
  TDB_DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data')),
  /** Downloaded artefacts (Kafka jars); kept across `reset`. */
  TDB_CACHE_DIR: z.string().default(path.join(REPO_ROOT, '.cache')),
  /**
   * Prefix of every topic, consumer group, ClickHouse database and Redis key, so that several
   * isolated platforms (tests, benchmarks, the demo) can share the same services.
   */
  TDB_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,30}$/, 'lower-case letters, digits and _ (max 31), starting with a letter')
    .default('tdb'),
  KAFKA_PORT: port(9092),
  KAFKA_CONTROLLER_PORT: port(9093),
  KAFKA_HEAP: z.string().default('768m'),
  KAFKA_VERSION: z.string().default('4.1.1'),
  SCHEMA_REGISTRY_PORT: port(8081),
  /** Apicurio's management interface (health, metrics); its default 9000 is ClickHouse's. */
  SCHEMA_REGISTRY_MANAGEMENT_PORT: port(8082),
  /** Apicurio Registry version (3.x needs Java 21+, found under /usr/lib/jvm; else 3.0.9 runs on Java 17). */
  APICURIO_VERSION: z.string().default('3.3.3'),
  SCHEMA_REGISTRY_HEAP: z.string().default('384m'),
  CLICKHOUSE_HTTP_PORT: port(8123),
  CLICKHOUSE_TCP_PORT: port(9000),
  REDIS_PORT: port(6379),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port(3000),
  /**
   * How long the read API keeps an aggregate answer (ms). Identical requests in flight always share
   * one query; a short cache absorbs dashboards polling the same figures. Freshness = processor
   * latency + this: keep it well under a second. 0: coalescing only.
   */
  TDB_API_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** Explicit URLs win over the ports above (to use services that run elsewhere). */
  KAFKA_BROKERS: z.string().optional(),
  SCHEMA_REGISTRY_URL: z.string().url().optional(),
  CLICKHOUSE_URL: z.string().url().optional(),
  REDIS_URL: z.string().optional(),
  /** Partitions of the learner topics (≥ 6: the unit of parallelism of the processors). */
  TDB_TOPIC_PARTITIONS: z.coerce.number().int().min(6).max(256).default(6),
  /**
   * Secrets. Without them, a random value is generated once per data dir (`.data/secrets.json`),
   * which is right for a developer machine and wrong for production: set them there.
   */
  TDB_PERSON_KEY_SECRET: z.string().min(16).optional(),
  TDB_DATA_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, '32 bytes in base64')
    .optional(),
  TDB_TOKEN_SECRET: z.string().min(32).optional(),
  /**
   * Injectable clock: a fixed date (YYYY-MM-DD) or date-time used as "now" by every process.
   * Unset: the real clock. Used by tests to move time.
   */
  TDB_CLOCK: z.string().optional(),
  /** Referential of training organisations (format of shared/data/organismes.csv). */
  TDB_ORGANISMES_CSV: existingFile,
  /** Referential commune INSEE → zone d'emploi (format of shared/data/zones-emploi-communes.csv). */
  TDB_ZONES_EMPLOI_CSV: existingFile,
  /**
   * Mission Locale referential (streams/alerts/README: `code_commune_insee;mission_locale_id;mission_locale_nom;departement`).
   * Unset: every dropout alert goes to the "unassigned" queue of its département.
   */
  TDB_MISSIONS_LOCALES_CSV: existingFile,
  /**
   * Formateur ↔ responsable relations (streams/referentiels/relations.ts:
   * `uai_responsable;siret_responsable;uai_formateur;siret_formateur`). Unset: no relation, an API
   * key writes only the records whose formateur is its own organisation.
   */
  TDB_RELATIONS_ORGANISMES_CSV: existingFile,
  /** Days a learner may stay INSCRIT without a contract before a Mission Locale alert (status-rules.md). */
  TDB_ALERTE_INSCRIT_JOURS: z.coerce.number().int().min(1).max(365).default(60),
  /** A RUPTURANT period of at most this many days (e.g. a one-day gap between two contracts) raises no alert. */
  TDB_ALERTE_RUPTURE_GRACE_JOURS: z.coerce.number().int().min(0).max(90).default(7),
  /** How often the stream processor's scheduler looks for time-driven status changes (ms). */
  TDB_PROCESSOR_TICK_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /** Partitions of the change topic the stream processor works on at the same time (one batch each). */
  TDB_PROCESSOR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Bytes of change events the stream processor fetches per partition batch (batch size ↔ memory). */
  TDB_PROCESSOR_BATCH_BYTES: z.coerce.number().int().min(65_536).max(67_108_864).default(1_048_576),
  /** Consumer group session timeout of the stream processor (ms): how fast a dead member's partitions move. */
  TDB_PROCESSOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  /** Drop folder of the file connectors (files deposited by SFTP); default TDB_DATA_DIR/depot. */
  TDB_DEPOT_DIR: optionalPath,
  /** Requests per minute per ERP API key on the ingestion routes (connectors/http). */
  TDB_API_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  /**
   * Failed authentications (401) per client address and minute on /api/ routes, after which the
   * address gets 429 until the minute ends (api/plugins/auth-failures.ts).
   */
  TDB_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(50),
  /** Yparéo export to poll (`tdb ypareo poll` without --url), and its bearer token if any. */
  TDB_YPAREO_URL: z.string().url().optional(),
  TDB_YPAREO_TOKEN: z.string().optional(),
  /** Worker threads of the ingestion pipeline (0: none); default one per core, at most 4. */
  TDB_INGEST_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  /**
   * Testing only (the kill test): probability that the stream processor kills itself with SIGKILL
   * right after a batch's delta insert, before its state is applied (the crash window of the
   * exactly-once protocol). 0 in every other use.
   */
  TDB_FAULT_KILL_AFTER_DELTAS: z.coerce.number().min(0).max(1).default(0),
  /** Days a closed Mission Locale alert (and its follow-up history) is kept before deletion (streams/alert-inbox). */
  TDB_ALERTES_RETENTION_JOURS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Days after which a Mission Locale alert still open is closed as expired (then deleted after the retention). */
  TDB_ALERTES_EXPIRATION_JOURS: z.coerce.number().int().min(1).max(3650).default(365),
  /** How often `tdb alertes run` sweeps expired and retained-too-long alerts (ms). */
  TDB_ALERTES_PURGE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
  /** First retry delay of a failed Mission Locale webhook delivery (ms), doubled at each attempt (max 1 h). */
  TDB_ALERTES_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
  /** Attempts of one webhook delivery before it is given up (logged as abandonnee). */
  TDB_ALERTES_WEBHOOK_TENTATIVES: z.coerce.number().int().min(1).max(100).default(10),
  /** Interval of the SSE heartbeat comments on /missions-locales/{id}/alertes/flux (ms). */
  TDB_ALERTES_SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends RawConfig {
  repoRoot: string;
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  redisUrl: string;
}

export class ConfigError extends PermanentError {
  override name = 'ConfigError';
}

/** Parses and validates the environment. Throws ConfigError naming each invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    ...c,
    TDB_DATA_DIR: path.resolve(c.TDB_DATA_DIR),
    TDB_CACHE_DIR: path.resolve(c.TDB_CACHE_DIR),
    repoRoot: REPO_ROOT,
    kafkaBrokers: (c.KAFKA_BROKERS ?? `127.0.0.1:${c.KAFKA_PORT}`).split(',').map((s) => s.trim()),
    schemaRegistryUrl: c.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${c.SCHEMA_REGISTRY_PORT}/apis/ccompat/v7`,
    clickhouseUrl: c.CLICKHOUSE_URL ?? `http://127.0.0.1:${c.CLICKHOUSE_HTTP_PORT}`,
    clickhouseDatabase: c.TDB_NAMESPACE,
    redisUrl: c.REDIS_URL ?? `redis://127.0.0.1:${c.REDIS_PORT}`,
  };
}

let cached: Config | undefined;
/** The process-wide configuration, loaded on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
