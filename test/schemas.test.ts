/** The generated TypeScript types must match the .avsc files (run `npm run schemas:types` after editing one). */
import fs from 'node:fs';
import path from 'node:path';
import avsc from 'avsc';
import { AVRO_SCHEMA_NAMES, avroSchema } from '../schemas/avro';
import { GENERATED_DIR, generatedTypes } from '../schemas/generate-types';

describe('Avro schemas', () => {
  it.each(AVRO_SCHEMA_NAMES)('%s parses as a self-contained Avro schema', (name) => {
    const type = avsc.Type.forSchema(avroSchema(name) as avsc.Schema);
    expect(type.name).toBe(`fr.apprentissage.tdb.${name}`);
  });

  it('generated TypeScript types are up to date', () => {
    for (const [file, text] of generatedTypes()) {
      expect(fs.readFileSync(path.join(GENERATED_DIR, file), 'utf8')).toBe(text);
    }
  });

  it('a change envelope round-trips through Avro with its image', () => {
    const type = avsc.Type.forSchema(avroSchema('DossierApprenantChange') as avsc.Schema);
    const event = {
      event_id: '7d9c1f0e-0000-4000-8000-000000000001',
      operation: 'CREATE',
      record_key: '0010070W:2025-2026:42',
      person_key: null,
      version: 1,
      source: {
        connector: 'api-v3',
        erp: 'ypareo',
        organisme_uai: '0010070W',
        organisme_siret: '43937112100013',
      },
      event_time: 1764403200000,
      ingestion_time: 1764403200500,
      changed_fields: [],
      after: {
        ...Object.fromEntries(
          (avroSchema('DossierApprenant').fields as { name: string; default?: unknown }[])
            .filter((f) => 'default' in f)
            .map((f) => [f.name, f.default]),
        ),
        annee_scolaire: '2025-2026',
        id_erp_apprenant: '42',
        etablissement_responsable_uai: '0010070W',
        etablissement_responsable_siret: '43937112100013',
        etablissement_formateur_uai: '0010070W',
        etablissement_formateur_siret: '43937112100013',
        date_inscription_formation: 20300,
        date_entree_formation: 20330,
        date_fin_formation: 21060,
        contrats: [
          {
            date_debut: 20335,
            date_fin: 21060,
            date_rupture: 20500,
            cause_rupture: null,
            siret_employeur: null,
          },
        ],
        identite_chiffree: Buffer.from([1, 2, 3]),
      },
    };
    const back = type.fromBuffer(type.toBuffer(event)) as typeof event;
    expect(back.after.contrats[0]?.date_rupture).toBe(20500);
    expect(back.record_key).toBe('0010070W:2025-2026:42');
  });
});
