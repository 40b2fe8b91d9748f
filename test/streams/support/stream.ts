/**
 * A deterministic stream of change events for the kill test and the pipeline benchmark: learner
 * records from the simulation (CREATE), then, interleaved, updates of earlier records (a contract
 * signed, broken, a new contract, a moved training end, an exclusion), NOT_TRANSMITTED signals,
 * deletions and re-creations; versions +1 per record, as the connectors' change capture does.
 * Records go through the connectors' normaliser (changes.ts): one it rejects never becomes a change
 * event (it would go to the dead-letter topic), the next simulated record is taken instead.
 */
import { generateDossiers, prng } from '../../../connectors/simulation/dossiers';
import type { DossierApprenantChange } from '../../../schemas/generated/DossierApprenantChange';
import type { OrganismesReferential } from '../../../streams/referentiels/organismes';
import type { Territoires } from '../../../streams/referentiels/territoires';
import { changeEvent, normalisedImage, recordKeyOf, type DossierApprenant } from './changes';

export interface StreamOptions {
  /** Distinct learner records. */
  records: number;
  /** Events in all (≥ records). */
  events: number;
  seed?: number;
  today: number;
  organismes: OrganismesReferential;
  territoires: Territoires;
  dataKey: Buffer;
  /** ingestion_time of the events (default: a fixed instant, so that two runs are identical). */
  at?: () => number;
}

/** A plausible next image of a record (pure function of the image and the generator). */
function mutate(d: DossierApprenant, r: ReturnType<typeof prng>): DossierApprenant {
  const n: DossierApprenant = { ...d, contrats: d.contrats.map((c) => ({ ...c })) };
  const last = n.contrats[n.contrats.length - 1];
  const fin = n.date_fin_formation;
  switch (r.int(0, 4)) {
    case 0: // a contract is signed, or the last one is broken
      if (!last)
        n.contrats.push({
          date_debut: n.date_entree_formation + r.int(0, 80),
          date_fin: fin,
          date_rupture: null,
          cause_rupture: null,
          siret_employeur: '44306184100047',
        });
      else if (last.date_rupture === null)
        last.date_rupture = Math.min(fin, last.date_debut + r.int(15, 300));
      break;
    case 1: // a new contract after a rupture
      if (last && last.date_rupture !== null && n.contrats.length < 4) {
        const debut = last.date_rupture + r.int(1, 120);
        if (debut < fin)
          n.contrats.push({
            date_debut: debut,
            date_fin: fin,
            date_rupture: null,
            cause_rupture: null,
            siret_employeur: last.siret_employeur,
          });
      } else n.date_fin_formation = Math.max(n.date_entree_formation + 30, fin + r.int(-20, 20));
      break;
    case 2: // the training end moves
      n.date_fin_formation = Math.max(n.date_entree_formation + 30, fin + r.int(-45, 45));
      break;
    case 3: // excluded, or the exclusion withdrawn
      n.date_exclusion_formation =
        n.date_exclusion_formation === null
          ? n.date_entree_formation + r.int(20, Math.max(21, fin - n.date_entree_formation))
          : null;
      break;
    default: // a correction that does not touch the dates
      n.libelle_court_formation =
        `${n.libelle_court_formation ?? 'FORMATION'} `.trim() + (r.next() < 0.5 ? '' : ' (MAJ)');
  }
  return n;
}

/** Yields the events in order. */
export function* changeStream(o: StreamOptions): Generator<DossierApprenantChange> {
  const r = prng((o.seed ?? 7) * 7919);
  const source = generateDossiers({
    count: o.records * 2, // records the connectors reject are skipped (drawn lazily)
    organismes: o.organismes,
    territoires: o.territoires,
    today: o.today,
    seed: o.seed ?? 7,
    messyShare: 0.05,
  });
  const live: { image: DossierApprenant; version: number; deleted: boolean; key: string }[] = [];
  const at = o.at ?? (() => Date.UTC(2025, 0, 15));
  let created = 0;
  for (let i = 0; i < o.events; i++) {
    const remaining = o.events - i;
    const toCreate = o.records - created;
    if (toCreate > 0 && (live.length < 50 || r.next() < toCreate / remaining)) {
      let image: DossierApprenant | undefined;
      while (image === undefined) {
        const next = source.next();
        if (next.done) break;
        const r = normalisedImage(next.value, { ...o, today: o.today });
        if (r.ok) image = r.image;
      }
      if (image === undefined) break;
      const entry = { image, version: 1, deleted: false, key: recordKeyOf(image) };
      live.push(entry);
      created++;
      yield changeEvent('CREATE', 1, image, { at: at() });
      continue;
    }
    const e = live[r.int(0, live.length - 1)]!;
    e.version++;
    const p = r.next();
    if (e.deleted) {
      e.deleted = false;
      yield changeEvent('CREATE', e.version, e.image, { at: at() });
    } else if (p < 0.75) {
      e.image = mutate(e.image, r);
      yield changeEvent('UPDATE', e.version, e.image, { at: at() });
    } else if (p < 0.9) {
      yield changeEvent('NOT_TRANSMITTED', e.version, e.image, { at: at() });
    } else {
      e.deleted = true;
      yield changeEvent('DELETE', e.version, null, {
        recordKey: e.key,
        at: at(),
        organisme: { uai: e.image.etablissement_formateur_uai, siret: e.image.etablissement_formateur_siret },
      });
    }
  }
}
