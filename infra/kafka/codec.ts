/**
 * Avro (de)serialisation of the platform's events through the Confluent-compatible schema
 * registry (wire format: magic byte 0, 4-byte schema id, Avro binary). Values are checked against
 * the schema when encoded: an invalid event is a bug and throws, naming the invalid paths.
 */
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { Schema } from '@kafkajs/confluent-schema-registry/dist/@types';
import type { Config } from '../config';
import { PermanentError } from '../errors';
import { avroSchema, type AvroSchemaName } from '../../schemas/avro';
import { topicNames, topicSpecs } from './topics';

export type TopicRole = keyof ReturnType<typeof topicNames>;

export interface EventCodec {
  /** Avro-encodes `value` with the schema registered for the topic's values. */
  encode(topic: TopicRole, value: unknown): Promise<Buffer>;
  /**
   * Decodes any registered schema (the id is in the message). Throws UndecodableMessageError
   * (permanent) for bytes no schema decodes; registry failures are retriable.
   */
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
 * A message that no registered schema can decode: not in the wire format, an unknown schema id (the
 * registry answered 404), or Avro bytes the writer schema refuses. Permanent (infra/errors.ts): the
 * same bytes never decode; a registry that cannot be reached is a retriable error instead.
 */
export class UndecodableMessageError extends PermanentError {
  override name = 'UndecodableMessageError';
}

/** Decodes the Avro body of a wire-format message with its writer schema, or UndecodableMessageError. */
function decodeWith<T>(type: Schema, buffer: Buffer, id: number): T {
  try {
    return type.fromBuffer(buffer.subarray(WIRE_HEADER)) as T;
  } catch (err) {
    throw new UndecodableMessageError(
      `message of schema ${id} cannot be decoded: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

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
      const own = ownSchemaOf(types, buffer);
      if (own) return decodeWith<T>(own, buffer, buffer.readInt32BE(1));
      if (!Buffer.isBuffer(buffer) || buffer.length < WIRE_HEADER || buffer[0] !== 0)
        throw new UndecodableMessageError('message not in the schema registry wire format (magic byte 0)');
      const id = buffer.readInt32BE(1);
      let writer: Schema;
      try {
        writer = await registry.getSchema(id);
      } catch (err) {
        if ((err as { status?: unknown }).status === 404)
          throw new UndecodableMessageError(`unknown schema id ${id}`, { cause: err });
        throw err; // the registry cannot be reached: retriable
      }
      return decodeWith<T>(writer, buffer, id);
    },
  };
}
