/**
 * Avro (de)serialisation of the platform's events through the Confluent-compatible schema
 * registry (wire format: magic byte 0, 4-byte schema id, Avro binary). Values are checked against
 * the schema when encoded: an invalid event is a bug and throws, naming the invalid paths.
 */
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { Schema } from '@kafkajs/confluent-schema-registry/dist/@types';
import type { Config } from '../config';
import { avroSchema, type AvroSchemaName } from '../../schemas/avro';
import { topicNames, topicSpecs } from './topics';

export type TopicRole = keyof ReturnType<typeof topicNames>;

export interface EventCodec {
  /** Avro-encodes `value` with the schema registered for the topic's values. */
  encode(topic: TopicRole, value: unknown): Promise<Buffer>;
  /** Decodes any registered schema (the id is in the message). */
  decode<T = unknown>(buffer: Buffer): Promise<T>;
  /** Schema ids by topic, once registered. */
  readonly ids: Readonly<Record<string, number>>;
}

export function createRegistry(c: Config): SchemaRegistry {
  return new SchemaRegistry({ host: c.schemaRegistryUrl, clientId: c.TDB_NAMESPACE, retry: { retries: 5 } });
}

/** Magic byte 0 and the 4-byte schema id before the Avro binary. */
const WIRE_HEADER = 5;

/**
 * The writer schema of a message encoded with one of our registered schemas: decoded directly, as
 * the registry client would (writerSchema.fromBuffer of what follows the header), without its two
 * awaits and three buffer slices per message (the processor decodes thousands per batch). Any
 * other message (another id, not the wire format) goes through the registry client.
 */
function ownSchemaOf(types: ReadonlyMap<number, Schema>, buffer: Buffer): Schema | undefined {
  if (!Buffer.isBuffer(buffer) || buffer.length < WIRE_HEADER || buffer[0] !== 0) return undefined;
  return types.get(buffer.readInt32BE(1));
}

/**
 * Registers (or finds, when already registered: registration is idempotent) the value schema of
 * every topic under the subject `<topic>-value`, with BACKWARD compatibility, and returns a codec.
 */
export async function registerSchemas(c: Config, registry = createRegistry(c)): Promise<EventCodec> {
  const names = topicNames(c.TDB_NAMESPACE);
  const ids: Record<string, number> = {};
  for (const spec of topicSpecs(c)) {
    const schemaName = spec.valueSchema.split('.').pop() as AvroSchemaName;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(avroSchema(schemaName)) },
      { subject: `${spec.name}-value`, compatibility: COMPATIBILITY.BACKWARD },
    );
    ids[spec.name] = id;
  }
  // The writer schemas registered above (Avro, cached by the registry client on registration).
  const types = new Map<number, Schema>();
  for (const id of new Set(Object.values(ids))) types.set(id, await registry.getSchema(id));
  return {
    ids,
    async encode(topic, value) {
      const id = ids[names[topic]];
      if (id === undefined) throw new Error(`no schema registered for topic ${names[topic]}`);
      return registry.encode(id, value);
    },
    async decode<T>(buffer: Buffer): Promise<T> {
      const type = ownSchemaOf(types, buffer);
      return type ? (type.fromBuffer(buffer.subarray(WIRE_HEADER)) as T) : registry.decode(buffer);
    },
  };
}
