/**
 * Test helper: DossierApprenantChange events built from v3 records (as the simulation yields them,
 * or written by a test) through the connectors' own code: the structure check and the normaliser
 * (connectors/core/validate.ts, normalise.ts: the same image, ages and warnings as an ingested
 * record), the identity sealed by schemas/identite.ts (connectors/core/work.ts `sealedImage`), and
 * Kafka production through the namespace's Avro codec. Only the CDC envelope is assembled here
 * (deterministic ids, so that a test can send the same event twice).
 */
import { createHash } from 'node:crypto';
import { recordKey } from '../../../connectors/core/identity';
import { normaliseDossier } from '../../../connectors/core/normalise';
import { validateStructure } from '../../../connectors/core/validate';
import { sealedImage } from '../../../connectors/core/work';
import type { Context } from '../../../infra/context';
import { ACKS_ALL, createIdempotentProducer } from '../../../infra/kafka/client';
import type {
  DossierApprenantChange,
  FrApprentissageTdb,
} from '../../../schemas/generated/DossierApprenantChange';
import type { TransmissionReport } from '../../../schemas/generated/TransmissionReport';
import type { OrganismesReferential } from '../../../streams/referentiels/organismes';
import type { Territoires } from '../../../streams/referentiels/territoires';

export type DossierApprenant = FrApprentissageTdb.DossierApprenant;
export type Operation = FrApprentissageTdb.Operation;

/** What the normaliser reads besides the record (Context has them all: `imageDeps(ctx)`). */
export interface ImageDeps {
  /** The data key the identity is sealed with. */
  dataKey: Buffer;
  organismes: OrganismesReferential;
  /** When given, a missing commune is derived from the postcode, as the connectors do. */
  territoires?: Territoires;
  /** Today's day number: a birth date after it is refused, as at ingestion. */
  today?: number;
}

export const imageDeps = (ctx: Context): ImageDeps => ({
  dataKey: ctx.secrets.dataKey,
  organismes: ctx.organismes,
  territoires: ctx.territoires,
});

/** The image the connectors would produce for `v3`, or the errors that make them reject it. */
export function normalisedImage(
  v3: Record<string, unknown>,
  deps: ImageDeps,
): { ok: true; image: DossierApprenant } | { ok: false; errors: { code: string; path: string }[] } {
  const structural = validateStructure(v3);
  if (structural.length > 0) return { ok: false, errors: structural };
  const r = normaliseDossier(v3, deps, deps.today === undefined ? {} : { today: deps.today });
  return r.ok ? { ok: true, image: sealedImage(r.dossier, deps.dataKey) } : { ok: false, errors: r.errors };
}

/** `normalisedImage` of a record the connectors accept (throws, naming the errors, otherwise). */
export function imageFromV3(v3: Record<string, unknown>, deps: ImageDeps): DossierApprenant {
  const r = normalisedImage(v3, deps);
  if (!r.ok)
    throw new Error(
      `imageFromV3: the connectors reject this record: ${r.errors.map((e) => `${e.code}@${e.path}`).join(', ')}`,
    );
  return r.image;
}

/** The record key the connectors give `d` (connectors/core/identity.ts). */
export const recordKeyOf = (
  d: Pick<DossierApprenant, 'etablissement_formateur_uai' | 'annee_scolaire' | 'id_erp_apprenant'>,
) => recordKey(d.etablissement_formateur_uai, d.annee_scolaire, d.id_erp_apprenant);

/** A change event of `image` (or of `recordKey` for a DELETE without image). Deterministic ids. */
export function changeEvent(
  op: Operation,
  version: number,
  image: DossierApprenant | null,
  opts: { recordKey?: string; at?: number; organisme?: { uai: string; siret: string } } = {},
): DossierApprenantChange {
  const recordKey = opts.recordKey ?? (image ? recordKeyOf(image) : '');
  const at = opts.at ?? Date.UTC(2025, 0, 15);
  return {
    event_id: createHash('sha256').update(`${recordKey}|${version}`).digest('hex').slice(0, 32),
    operation: op,
    record_key: recordKey,
    person_key: createHash('sha256').update(`person|${recordKey}`).digest('hex'),
    version,
    source: {
      connector: 'test',
      erp: null,
      organisme_uai:
        image?.etablissement_formateur_uai ?? opts.organisme?.uai ?? recordKey.split(':')[0] ?? '',
      organisme_siret: image?.etablissement_formateur_siret ?? opts.organisme?.siret ?? '',
    },
    event_time: at,
    ingestion_time: at,
    changed_fields: [],
    after: op === 'DELETE' ? null : image,
  };
}

/**
 * Produces `events` to the namespace's change topic (and to the compacted `latest` topic when
 * `latest`), keyed by record_key, in order. `onProgress` gets the count sent.
 */
export async function produceChanges(
  ctx: Context,
  events: readonly DossierApprenantChange[],
  opts: { latest?: boolean; chunk?: number; onProgress?: (n: number) => void } = {},
): Promise<void> {
  const codec = await ctx.codec();
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  try {
    const chunk = opts.chunk ?? 5_000;
    for (let i = 0; i < events.length; i += chunk) {
      const part = events.slice(i, i + chunk);
      const messages = await Promise.all(
        part.map(async (e) => ({ key: e.record_key, value: await codec.encode('changes', e) })),
      );
      const topicMessages = [{ topic: ctx.topics.changes, messages }];
      if (opts.latest) topicMessages.push({ topic: ctx.topics.latest, messages });
      await producer.sendBatch({ topicMessages, acks: ACKS_ALL });
      opts.onProgress?.(i + part.length);
    }
  } finally {
    await producer.disconnect();
  }
}

export async function produceTransmission(ctx: Context, r: TransmissionReport): Promise<void> {
  const codec = await ctx.codec();
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  try {
    await producer.send({
      topic: ctx.topics.transmissions,
      acks: ACKS_ALL,
      messages: [{ key: r.organisme_uai, value: await codec.encode('transmissions', r) }],
    });
  } finally {
    await producer.disconnect();
  }
}
