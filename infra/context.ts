/**
 * The clients and referentials a process needs, created once from the configuration and closed
 * together. Each is created on first use, so a command only connects to what it uses.
 */
import { createClickHouse, type ClickHouse } from './clickhouse/client';
import { createClock, type Clock } from './clock';
import { config as defaultConfig, type Config } from './config';
import { createKafka } from './kafka/client';
import { registerSchemas, type EventCodec } from './kafka/codec';
import { topicNames, type TopicNames } from './kafka/topics';
import { createRedis, redisKeys, type Redis } from './redis/client';
import { loadSecrets, type Secrets } from './secrets';
import {
  generateOrganismes,
  loadOrganismes,
  type OrganismesReferential,
} from '../streams/referentiels/organismes';
import { loadRelations, NO_RELATIONS, type RelationsOrganismes } from '../streams/referentiels/relations';
import { loadTerritoires, type Territoires } from '../streams/referentiels/territoires';
import type { Kafka } from 'kafkajs';

export interface Context {
  readonly config: Config;
  readonly topics: TopicNames;
  readonly keys: ReturnType<typeof redisKeys>;
  readonly clock: Clock;
  readonly secrets: Secrets;
  readonly kafka: Kafka;
  readonly clickhouse: ClickHouse;
  readonly redis: Redis;
  readonly territoires: Territoires;
  /** From TDB_ORGANISMES_CSV; without it, generated organisations (every valid pair is reliable). */
  readonly organismes: OrganismesReferential;
  /** Formateur ↔ responsable relations from TDB_RELATIONS_ORGANISMES_CSV; without it, none. */
  readonly relations: RelationsOrganismes;
  /** Registers the schemas on first call (idempotent) and returns the Avro codec. */
  codec(): Promise<EventCodec>;
  close(): Promise<void>;
}

export function createContext(c: Config = defaultConfig(), clientId = 'app'): Context {
  const made: Partial<{
    kafka: Kafka;
    clickhouse: ClickHouse;
    redis: Redis;
    territoires: Territoires;
    organismes: OrganismesReferential;
    relations: RelationsOrganismes;
    secrets: Secrets;
  }> = {};
  let codec: Promise<EventCodec> | undefined;
  const clock = createClock(c.TDB_CLOCK);
  const ctx: Context = {
    config: c,
    topics: topicNames(c.TDB_NAMESPACE),
    keys: redisKeys(c.TDB_NAMESPACE),
    clock,
    get secrets() {
      return (made.secrets ??= loadSecrets(c));
    },
    get kafka() {
      return (made.kafka ??= createKafka(c, clientId));
    },
    get clickhouse() {
      return (made.clickhouse ??= createClickHouse(c));
    },
    get redis() {
      return (made.redis ??= createRedis(c));
    },
    get territoires() {
      return (made.territoires ??= loadTerritoires({ zonesEmploiCsv: c.TDB_ZONES_EMPLOI_CSV }));
    },
    get organismes() {
      return (made.organismes ??= c.TDB_ORGANISMES_CSV
        ? loadOrganismes(c.TDB_ORGANISMES_CSV, ctx.territoires)
        : generateOrganismes(200, ctx.territoires));
    },
    get relations() {
      return (made.relations ??= c.TDB_RELATIONS_ORGANISMES_CSV
        ? loadRelations(c.TDB_RELATIONS_ORGANISMES_CSV)
        : NO_RELATIONS);
    },
    codec() {
      codec ??= registerSchemas(c);
      return codec;
    },
    async close() {
      await Promise.allSettled([made.clickhouse?.close(), made.redis?.quit()]);
    },
  };
  return ctx;
}
