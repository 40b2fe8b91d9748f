/**
 * The CPU-heavy part of the pipeline, in two steps per chunk of items, so that it can run on worker
 * threads (worker-pool.ts) while the main thread talks to Redis and Kafka:
 * 1. `normalise`: validate, normalise, fingerprint, candidate person keys; rejected items are
 *    encoded for the dead-letter topic at once (their fate does not depend on any state);
 * 2. `encode`: once the main thread has compared the fingerprints with the stored states and
 *    decided which records changed (and their versions), seal the identities and Avro-encode the
 *    change envelopes of those records only (an unchanged record costs no encryption, no Avro).
 * The normalised records stay where step 1 ran until step 2 or `release`.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '../../infra/context';
import { sealJson } from '../../infra/crypto';
import { sealIdentite } from '../../schemas/identite';
import type { EventCodec } from '../../infra/kafka/codec';
import type { FrApprentissageTdb } from '../../schemas/generated/DossierApprenantChange';
import type { RejectedRecord } from '../../schemas/generated/RejectedRecord';
import { fingerprintOf, type Fingerprint } from './fingerprint';
import { personKey, personKeyFromNames, recordKey } from './identity';
import type { ValidationIssue, Warning } from './issues';
import type { RelationsOrganismes } from '../../streams/referentiels/relations';
import { writeRefusal } from './authorisation';
import { deadLetterInput, DEFAULT_LIMITS, forbiddenCharacter, type IngestLimits } from './limits';
import { normaliseDossier, type NormaliseRefs, type NormalisedDossier } from './normalise';
import { normaliseSiret, normaliseUai } from './normalise/identifiants';
import { normaliseAnneeScolaire } from './normalise/scalars';
import { validateStructure } from './validate';
import { calendarDayOfInstant } from '../../streams/status/calendar';

export interface Organisation {
  uai: string;
  siret: string;
}

export interface NormaliseTask {
  connector: string;
  /** Ingestion time (epoch ms) of the transmission. */
  now: number;
  items: readonly { input: unknown; location: string }[];
  /**
   * The API key's organisation: only the records it may write are accepted (its own formateur, or
   * a formateur attached to it as responsable: authorisation.ts); null for other connectors.
   */
  authorised: Organisation | null;
  /** The organisation of the transmission, for rejected items whose own cannot be read. */
  organisme: Organisation | null;
  /** Item size and dead-letter copy limits (default DEFAULT_LIMITS). */
  limits?: Pick<IngestLimits, 'itemBytes' | 'deadLetterInputBytes'>;
}

export type NormalisedItem =
  | {
      ok: true;
      key: string;
      fingerprint: Fingerprint;
      /**
       * Person keys from the INE (when present) and, without an INE, from names + birth date (when
       * present): the INE's key wins whenever there is one (pipeline.ts).
       */
      personKeyIne: string | null;
      personKeyNpd: string | null;
      /** date_metier_mise_a_jour_statut (epoch ms), or null. */
      eventTime: number | null;
      organisation: Organisation;
      warnings: Warning[];
    }
  | {
      ok: false;
      key: string | null;
      organisation: Organisation | null;
      errors: ValidationIssue[];
      /** The RejectedRecord, Avro-encoded for the dead-letter topic. */
      deadLetter: Uint8Array;
    };

/** What the main thread decided for one changed record (index within its task). */
export interface Decision {
  index: number;
  operation: 'CREATE' | 'UPDATE';
  version: number;
  changed_fields: string[];
  person_key: string | null;
  source: FrApprentissageTdb.Source;
}

/** Encoded envelopes, aligned with the decisions; `latest` is null when its schema is the same as `changes`'. */
export interface EncodedChanges {
  changes: Uint8Array[];
  latest: Uint8Array[] | null;
}

/** The two steps, bound to one context (its referentials, secrets and codec). */
export interface WorkFunctions {
  normalise(taskId: number, task: NormaliseTask): Promise<NormalisedItem[]>;
  encode(taskId: number, now: number, decisions: readonly Decision[]): Promise<EncodedChanges>;
  release(taskId: number): void;
}

/** Best-effort organisation and record key of a rejected item (for reports, snapshots and the DLQ key). */
export function looseIdentity(input: unknown): { key: string | null; organisation: Organisation | null } {
  if (typeof input !== 'object' || input === null) return { key: null, organisation: null };
  const r = input as Record<string, unknown>;
  let uai: string;
  try {
    uai = normaliseUai('etablissement_formateur_uai', r.etablissement_formateur_uai).value;
  } catch {
    return { key: null, organisation: null };
  }
  let siret = '';
  try {
    siret = normaliseSiret('etablissement_formateur_siret', r.etablissement_formateur_siret).value;
  } catch {
    /* the SIRET is what is wrong */
  }
  const rawId = r.id_erp_apprenant;
  // Never a key from a rounded or infinite number (validate.ts IDENTIFIANT_NUMERIQUE_IMPRECIS).
  const id =
    typeof rawId === 'string' || (typeof rawId === 'number' && Number.isSafeInteger(rawId))
      ? String(rawId).trim()
      : '';
  let key: string | null = null;
  try {
    // No key from an id that could not be a record's (control characters, too long).
    if (id && id.length <= 100 && forbiddenCharacter(id, false) === null)
      key = recordKey(uai, normaliseAnneeScolaire('annee_scolaire', r.annee_scolaire), id);
  } catch {
    /* no key without a year */
  }
  return { key, organisation: siret ? { uai, siret } : null };
}

/**
 * The organisation a rejected input is filed under in the dead-letter topic: the authenticated
 * sender when there is one (a row naming another organisation is the sender's reject, to be found
 * in its dead-letter list), else the one the input names (`looseIdentity`), else the transmission's.
 */
export function deadLetterOwner(
  authorised: Organisation | null,
  named: Organisation | null,
  organisme: Organisation | null,
): Organisation | null {
  return authorised ?? named ?? organisme;
}

/** What the dead-letter topic receives for a rejected input (Avro RejectedRecord, before encoding). */
export function rejectedRecord(
  dataKey: Buffer,
  o: {
    now: number;
    connector: string;
    organisation: Organisation | null;
    location: string;
    errors: readonly ValidationIssue[];
    input: unknown;
    inputBytes: number;
  },
): RejectedRecord {
  return {
    event_id: randomUUID(),
    ingestion_time: o.now,
    connector: o.connector,
    organisme_uai: o.organisation?.uai ?? null,
    organisme_siret: o.organisation?.siret ?? null,
    location: o.location,
    errors: o.errors.map((e) => ({ code: e.code, path: e.path, message: e.message })),
    // Never the whole of a large input: the record must stay far below the broker's message size.
    input_chiffre: sealJson(dataKey, deadLetterInput(o.input, o.inputBytes).value),
  };
}

/** The image a change event carries: the normalised image and its identity sealed (schemas/identite.ts). */
export function sealedImage(d: NormalisedDossier, dataKey: Buffer): FrApprentissageTdb.DossierApprenant {
  return { ...d.image, identite_chiffree: sealIdentite(dataKey, d.identite) };
}

/** ORGANISME_NON_AUTORISE when the API key may not write this record (authorisation.ts), else null. */
const refusalOf = (img: NormalisedDossier['image'], key: Organisation, relations: RelationsOrganismes) =>
  writeRefusal(
    key,
    { uai: img.etablissement_formateur_uai, siret: img.etablissement_formateur_siret },
    { uai: img.etablissement_responsable_uai, siret: img.etablissement_responsable_siret },
    relations,
  );

export function createWorkFunctions(ctx: Context): WorkFunctions {
  const refs: NormaliseRefs = { organismes: ctx.organismes, territoires: ctx.territoires };
  const retained = new Map<number, NormalisedDossier[]>();
  let codec: EventCodec | undefined;
  const getCodec = async () => (codec ??= await ctx.codec());

  return {
    async normalise(taskId, task) {
      const c = await getCodec();
      const dataKey = ctx.secrets.dataKey;
      const secret = ctx.secrets.personKeySecret;
      const limits = task.limits ?? DEFAULT_LIMITS;
      const today = calendarDayOfInstant(task.now);
      const dossiers: NormalisedDossier[] = new Array(task.items.length);
      const out: NormalisedItem[] = new Array(task.items.length);
      for (let i = 0; i < task.items.length; i++) {
        const item = task.items[i]!;
        const structural = validateStructure(item.input, limits.itemBytes);
        let errors: ValidationIssue[] = structural;
        if (structural.length === 0) {
          const r = normaliseDossier(item.input as Record<string, unknown>, refs, { today });
          const refusal =
            r.ok && task.authorised ? refusalOf(r.dossier.image, task.authorised, ctx.relations) : null;
          if (refusal) {
            errors = [refusal];
          } else if (r.ok) {
            const d = r.dossier;
            const img = d.image;
            dossiers[i] = d;
            out[i] = {
              ok: true,
              key: recordKey(img.etablissement_formateur_uai, img.annee_scolaire, img.id_erp_apprenant),
              fingerprint: fingerprintOf(d),
              personKeyIne: d.identite.ine ? personKey(secret, d) : null,
              personKeyNpd: d.identite.ine ? null : personKeyFromNames(secret, d),
              eventTime: img.date_metier_mise_a_jour_statut,
              organisation: {
                uai: img.etablissement_formateur_uai,
                siret: img.etablissement_formateur_siret,
              },
              warnings: d.warnings,
            };
            continue;
          } else errors = r.errors;
        }
        const loose = looseIdentity(item.input);
        const rejected = rejectedRecord(dataKey, {
          now: task.now,
          connector: task.connector,
          organisation: deadLetterOwner(task.authorised, loose.organisation, task.organisme),
          location: item.location,
          errors,
          input: item.input,
          inputBytes: limits.deadLetterInputBytes,
        });
        out[i] = { ok: false, ...loose, errors, deadLetter: await c.encode('deadLetter', rejected) };
      }
      retained.set(taskId, dossiers);
      return out;
    },

    async encode(taskId, now, decisions) {
      const c = await getCodec();
      const dossiers = retained.get(taskId);
      retained.delete(taskId);
      if (!dossiers) throw new Error(`work: no normalised records for task ${taskId}`);
      const dataKey = ctx.secrets.dataKey;
      const same = c.ids[ctx.topics.changes] === c.ids[ctx.topics.latest];
      const changes: Uint8Array[] = [];
      const latest: Uint8Array[] | null = same ? null : [];
      for (const dec of decisions) {
        const d = dossiers[dec.index]!;
        const img = d.image;
        const envelope = {
          event_id: randomUUID(),
          operation: dec.operation,
          record_key: recordKey(img.etablissement_formateur_uai, img.annee_scolaire, img.id_erp_apprenant),
          person_key: dec.person_key,
          version: dec.version,
          source: dec.source,
          event_time: img.date_metier_mise_a_jour_statut ?? now,
          ingestion_time: now,
          changed_fields: dec.changed_fields,
          after: sealedImage(d, dataKey),
        };
        changes.push(await c.encode('changes', envelope));
        latest?.push(await c.encode('latest', envelope));
      }
      return { changes, latest };
    },

    release(taskId) {
      retained.delete(taskId);
    },
  };
}
