/** Helpers of the connector tests: valid v3 items, a tiny organisations referential, a topic collector. */
import { randomBytes } from 'node:crypto';
import type { Context } from '../../infra/context';
import { createConsumer, type Consumer } from '../../infra/kafka/client';
import type { TopicRole } from '../../infra/kafka/codec';
import type { Organisme, OrganismesReferential } from '../../streams/referentiels/organismes';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';

/** A decoded Avro value or a JSON reply, read field by field in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Decoded = Record<string, any>;

/** Two real organisations of shared/data/organismes.csv (valid UAI check letters and SIRET keys). */
export const ORG_A = { uai: '0010070W', siret: '43937112100013' };
export const ORG_B = { uai: '0010099C', siret: '77931002800013' };

/** A referential holding exactly these pairs. */
export function referentialOf(...orgs: { uai: string; siret: string }[]): OrganismesReferential {
  const all: Organisme[] = orgs.map((o) => ({
    ...o,
    raison_sociale: 'TEST',
    enseigne: null,
    nature: 'responsable_formateur',
    departement: '01',
    commune: '',
    code_commune: null,
    adresse: '',
  }));
  const get = (uai: string, siret: string) => all.find((o) => o.uai === uai && o.siret === siret);
  return {
    all,
    byUai: (u) => all.filter((o) => o.uai === u),
    get,
    isReliable: (u, s) => get(u, s) !== undefined,
    source: 'test',
  };
}

/** A valid v3 item of ORG_A (override any field; `undefined` removes it). */
export function dossier(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const d: Record<string, unknown> = {
    nom_apprenant: 'Dupont',
    prenom_apprenant: 'Léa',
    date_de_naissance_apprenant: '2005-04-12',
    annee_scolaire: '2024-2025',
    id_erp_apprenant: 'A-0001',
    date_inscription_formation: '2024-07-01',
    date_entree_formation: '2024-09-02',
    date_fin_formation: '2026-06-30',
    etablissement_responsable_uai: ORG_A.uai,
    etablissement_responsable_siret: ORG_A.siret,
    etablissement_formateur_uai: ORG_A.uai,
    etablissement_formateur_siret: ORG_A.siret,
    formation_cfd: '50022106',
    formation_rncp: 'RNCP34567',
    sexe_apprenant: 'F',
    tel_apprenant: '06 12 34 56 78',
    email_contact: 'lea.dupont@example.org',
    code_postal_apprenant: '01000',
    code_commune_insee_apprenant: '01053',
    contrat_date_debut: '2024-09-09',
    contrat_date_fin: '2026-06-30',
    siret_employeur: '44306184100047',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete d[k];
    else d[k] = v;
  }
  return d;
}

export interface Collected {
  key: string;
  value: Record<string, unknown>;
  offset: string;
  partition: number;
}

/**
 * Reads the namespace's topics from the beginning into memory (decoded with the codec), for the
 * whole test file. `wait(role, n)` polls until at least n messages arrived.
 */
export async function collectTopics(
  ctx: Context,
  roles: TopicRole[],
): Promise<{
  messages: Record<string, Collected[]>;
  wait(role: TopicRole, n: number, timeoutMs?: number): Promise<Collected[]>;
  /** Polls until at least n messages with this key arrived; returns them in arrival order. */
  waitKey(role: TopicRole, key: string, n: number, timeoutMs?: number): Promise<Collected[]>;
  stop(): Promise<void>;
}> {
  const codec = await ctx.codec();
  const consumer: Consumer = createConsumer(ctx.kafka, {
    groupId: `${ctx.config.TDB_NAMESPACE}.test-${randomBytes(3).toString('hex')}`,
  });
  const messages: Record<string, Collected[]> = {};
  const byTopic = new Map(roles.map((r) => [ctx.topics[r], r] as const));
  for (const r of roles) messages[r] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...byTopic.keys()], fromBeginning: true });
  let ready = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    ready = true;
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const role = byTopic.get(topic)!;
      messages[role]!.push({
        key: message.key?.toString() ?? '',
        value: await codec.decode<Record<string, unknown>>(message.value!),
        offset: message.offset,
        partition,
      });
    },
  });
  await eventually(
    async () => ready,
    (v) => v,
    30_000,
  );
  return {
    messages,
    wait: (role, n, timeoutMs = 20_000) =>
      eventually(
        async () => messages[role]!,
        (m) => m.length >= n,
        timeoutMs,
      ),
    waitKey: (role, key, n, timeoutMs = 20_000) =>
      eventually(
        async () => messages[role]!.filter((m) => m.key === key),
        (m) => m.length >= n,
        timeoutMs,
      ),
    stop: () => consumer.disconnect(),
  };
}

/** Total number of messages ever written to a topic (sum of its partitions' high watermarks). */
export async function topicSize(ctx: Context, role: TopicRole): Promise<number> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(ctx.topics[role]);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * An HTTP request to a listening app (fetch; Fastify's inject() cannot load its ESM-only cookie
 * dependency under Jest on Node 20). Returns the status and the parsed JSON body.
 */
export async function send(
  base: string,
  path: string,
  opts: { authorization?: string; json?: unknown; form?: FormData; method?: string },
): Promise<{ statusCode: number; json(): Decoded; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.authorization) headers.authorization = opts.authorization;
  let body: string | FormData | undefined;
  if (opts.form) body = opts.form;
  else if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${base}${path}`, { method: opts.method ?? 'POST', headers, body });
  const text = await res.text();
  return { statusCode: res.status, headers: res.headers, json: () => JSON.parse(text) };
}

/** An ingestion test bench: a private platform, the real organisations referential, the app on a free port. */
type Org = { uai: string; siret: string; erp?: string };
export interface IngestionBench<K> {
  platform: TestPlatform;
  app: FastifyInstance;
  base: string;
  /** One API key per organisation asked for, in order. */
  keys: K;
}

/**
 * Starts an ingestion bench with an API key for each of `orgs`. `env` adds
 * settings; the rate limit and the failed-authentication limit are raised so that tests are never
 * throttled by accident (`env` may set them back).
 */
export async function startIngestionBench<const T extends readonly Org[]>(
  env: Record<string, string>,
  orgs: T,
): Promise<IngestionBench<{ [I in keyof T]: string }>> {
  const platform = await createTestPlatform({
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_API_RATE_LIMIT: '1000',
    TDB_AUTH_FAILURE_LIMIT: '1000',
    ...env,
  });
  const app = await buildApp(platform.ctx, { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const store = redisApiKeyStore(platform.ctx.redis, platform.ctx.keys.apiKeys);
  const keys: string[] = [];
  for (const o of orgs) keys.push((await store.create({ ...o, now: Date.now() })).key);
  return { platform, app, base, keys: keys as { [I in keyof T]: string } };
}

/** A dossier of ORG_B (formateur and responsable). */
export const ofB = (id: string, o: Record<string, unknown> = {}) =>
  dossier({
    id_erp_apprenant: id,
    etablissement_responsable_uai: ORG_B.uai,
    etablissement_responsable_siret: ORG_B.siret,
    etablissement_formateur_uai: ORG_B.uai,
    etablissement_formateur_siret: ORG_B.siret,
    ...o,
  });
