/**
 * Validation (error codes and French messages), normalisation of a whole item into the record
 * image, identity (record key, person key) and change fingerprints. Pure: no services.
 */
import { fingerprintOf, changedFields, FINGERPRINT_LAYOUT } from '../../connectors/core/fingerprint';
import { personKey, recordKey } from '../../connectors/core/identity';
import { normaliseDossier, type NormalisedDossier } from '../../connectors/core/normalise';
import { OPTIONAL_CODE_FIELDS, validateStructure } from '../../connectors/core/validate';
import { identiteApprenant } from '../../schemas/identite';
import { dossier, ORG_A, referentialOf } from './support';

const refs = { organismes: referentialOf(ORG_A) };
const ok = (rec: Record<string, unknown>): NormalisedDossier => {
  const r = normaliseDossier(rec, refs);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.dossier;
};
const errorsOf = (rec: Record<string, unknown>) => {
  const structural = validateStructure(rec);
  if (structural.length > 0) return structural;
  const r = normaliseDossier(rec, refs);
  return r.ok ? [] : r.errors;
};

describe('structural validation (ajv, schemas/dossier-apprenant-v3.schema.ts)', () => {
  test('a missing required field: CHAMP_REQUIS naming it', () => {
    expect(errorsOf(dossier({ etablissement_formateur_uai: undefined }))).toEqual([
      {
        code: 'CHAMP_REQUIS',
        path: 'etablissement_formateur_uai',
        message: 'etablissement_formateur_uai : champ requis manquant',
      },
    ]);
  });
  test('a wrong JSON type: TYPE_INVALIDE with the expected type', () => {
    expect(errorsOf(dossier({ nom_apprenant: 42 }))).toEqual([
      { code: 'TYPE_INVALIDE', path: 'nom_apprenant', message: 'nom_apprenant : texte attendu' },
    ]);
  });
  test('an optional count that is not whole or out of range is dropped with a warning, the record kept', () => {
    for (const bad of [-0.5, 100, '12,5']) {
      const d = ok(dossier({ duree_theorique_formation_mois: bad }));
      expect([bad, d.image.duree_theorique_formation_mois, d.image.avertissements]).toEqual([
        bad,
        null,
        ['VALEUR_INVALIDE_IGNOREE:duree_theorique_formation_mois'],
      ]);
    }
    expect(ok(dossier({ duree_theorique_formation_mois: 24 })).image.duree_theorique_formation_mois).toBe(24);
  });
  test('not an object', () => {
    expect(validateStructure([1, 2])).toEqual([
      { code: 'DOSSIER_NON_OBJET', path: '(dossier)', message: 'chaque dossier doit être un objet JSON' },
    ]);
  });
  test('every error of an item is reported at once', () => {
    const errors = errorsOf(
      dossier({
        etablissement_formateur_uai: '0751234A',
        annee_scolaire: '2024-2027',
        date_entree_formation: '31/02/2024',
      }),
    );
    expect(errors.map((e) => `${e.code}@${e.path}`).sort()).toEqual([
      'ANNEE_SCOLAIRE_INVALIDE@annee_scolaire',
      'DATE_INVALIDE@date_entree_formation',
      'UAI_CLE_INVALIDE@etablissement_formateur_uai',
    ]);
    expect(errors.find((e) => e.path === 'date_entree_formation')!.message).toBe(
      "date_entree_formation : la date 31/02/2024 n'existe pas dans le calendrier (attendu AAAA-MM-JJ)",
    );
  });
  test('blank required text: CHAMP_REQUIS', () => {
    expect(errorsOf(dossier({ id_erp_apprenant: '   ' }))).toEqual([
      { code: 'CHAMP_REQUIS', path: 'id_erp_apprenant', message: 'id_erp_apprenant : champ requis vide' },
    ]);
  });
  test('personal values are never quoted in messages (they travel in clear in the dead-letter topic)', () => {
    const errors = errorsOf(dossier({ date_de_naissance_apprenant: '31/02/2005' }));
    expect(errors).toEqual([
      {
        code: 'DATE_INVALIDE',
        path: 'date_de_naissance_apprenant',
        // The same reason as for other dates, without the value.
        message:
          "date_de_naissance_apprenant : la date reçue n'existe pas dans le calendrier (attendu AAAA-MM-JJ)",
      },
    ]);
  });
});

describe('the normalised image', () => {
  test('values as the Avro DossierApprenant expects them', () => {
    const d = ok(
      dossier({
        id_erp_apprenant: 1234,
        sexe_apprenant: 'H',
        formation_rncp: '34567',
        nir_apprenant: '1 05 04 75 123 456 78',
        rqth_apprenant: 'oui',
        duree_theorique_formation: 2,
        annee_formation: '1',
        date_metier_mise_a_jour_statut: '2025-01-10T08:00:00Z',
      }),
    );
    expect(d.image).toMatchObject({
      id_erp_apprenant: '1234',
      annee_scolaire: '2024-2025',
      etablissement_formateur_uai: ORG_A.uai,
      sexe_apprenant: 'M',
      formation_rncp: 'RNCP34567',
      nir_present: true,
      rqth_apprenant: true,
      duree_theorique_formation_mois: 24,
      annee_formation: 1,
      age_entree_formation: 19,
      date_entree_formation: 19968,
      date_metier_mise_a_jour_statut: Date.parse('2025-01-10T08:00:00Z'),
      apprentissage: true,
      avertissements: [],
    });
    // The NIR is never kept, not even in the encrypted identity.
    expect(JSON.stringify(d)).not.toMatch(/123 456/);
    // The identity of schemas/identite.ts (absent values null); the address's postcode with it.
    expect(d.identite).toEqual(
      identiteApprenant({
        nom: 'Dupont',
        prenom: 'Léa',
        date_de_naissance: '2005-04-12',
        email_contact: 'lea.dupont@example.org',
        tel_apprenant: '+33612345678',
        code_postal_apprenant: '01000',
      }),
    );
  });
  test('issue 10: every date sent as a JavaScript toISOString() at midnight UTC is that day, without a warning', () => {
    const asJs = (iso: string) => new Date(`${iso}T00:00:00.000Z`).toISOString(); // 2024-09-02T00:00:00.000Z
    const plain = ok(dossier());
    const js = ok(
      dossier({
        date_de_naissance_apprenant: asJs('2005-04-12'),
        date_inscription_formation: asJs('2024-07-01'),
        date_entree_formation: asJs('2024-09-02'),
        date_fin_formation: asJs('2026-06-30'),
        contrat_date_debut: asJs('2024-09-09'),
        contrat_date_fin: asJs('2026-06-30'),
        date_rqth_apprenant: asJs('2023-05-01'),
      }),
    );
    expect(js.warnings).toEqual([]);
    expect(js.image.avertissements).toEqual([]);
    expect({ ...js.image, date_rqth_apprenant: null }).toEqual(plain.image);
    expect(js.image.date_rqth_apprenant).toBe(19478); // 2023-05-01
    // A time that is not midnight had to be dropped: warned.
    expect(ok(dossier({ date_fin_formation: '2026-06-30T12:00:00.000Z' })).image.avertissements).toEqual([
      'DATE_HEURE_IGNOREE:date_fin_formation',
    ]);
  });
  test('a UTC date-time is the Europe/Paris calendar day, with a warning naming the field', () => {
    const d = ok(dossier({ date_entree_formation: '2024-09-01T22:00:00.000Z' }));
    expect(d.image.date_entree_formation).toBe(19968); // 2024-09-02 in Paris
    expect(d.image.avertissements).toEqual(['DATE_HEURE_CONVERTIE:date_entree_formation']);
  });
  test('a missing commune is derived from a postcode with exactly one commune', () => {
    const { loadTerritoires } = jest.requireActual('../../streams/referentiels/territoires');
    const r = normaliseDossier(
      dossier({ code_commune_insee_apprenant: undefined, code_postal_apprenant: '33000' }),
      {
        ...refs,
        territoires: loadTerritoires({}),
      },
    );
    expect(r.ok && r.dossier.image.code_commune_insee_apprenant).toBe('33063');
    expect(r.ok && r.dossier.image.avertissements).toContain(
      'COMMUNE_DEDUITE_DU_CODE_POSTAL:code_commune_insee_apprenant',
    );
  });
});

describe('issue 10: optional codes', () => {
  test('formation_rncp "  34-670  " is RNCP34670 with a warning (the national platform accepts it)', () => {
    const d = ok(dossier({ formation_rncp: '  34-670  ' }));
    expect(d.image.formation_rncp).toBe('RNCP34670');
    expect(d.warnings).toEqual([
      {
        code: 'CODE_REFORMATE',
        path: 'formation_rncp',
        message:
          'formation_rncp : séparateurs retirés du code (reçu "  34-670  ", retenu "RNCP34670") ; envoyez le code sans tirets ni points',
      },
    ]);
  });

  /** Where each optional code lands in the normalised record. */
  const where: Record<string, (d: NormalisedDossier) => unknown> = {
    formation_cfd: (d) => d.image.formation_cfd,
    formation_rncp: (d) => d.image.formation_rncp,
    code_postal_apprenant: (d) => d.image.code_postal_apprenant,
    code_commune_insee_apprenant: (d) => d.image.code_commune_insee_apprenant,
    code_postal_de_naissance_apprenant: (d) => d.identite.code_postal_de_naissance ?? null,
    code_commune_insee_de_naissance_apprenant: (d) => d.identite.code_commune_insee_de_naissance ?? null,
    etablissement_lieu_de_formation_uai: (d) => d.image.etablissement_lieu_de_formation_uai,
    etablissement_lieu_de_formation_siret: (d) => d.image.etablissement_lieu_de_formation_siret,
    etablissement_lieu_de_formation_code_postal: (d) => d.image.etablissement_lieu_de_formation_code_postal,
    siret_employeur: (d) => d.image.contrats[0]!.siret_employeur,
    siret_employeur_2: (d) => d.image.contrats[1]!.siret_employeur,
    siret_employeur_3: (d) => d.image.contrats[2]!.siret_employeur,
    siret_employeur_4: (d) => d.image.contrats[3]!.siret_employeur,
    ine_apprenant: (d) => d.identite.ine ?? null,
    sexe_apprenant: (d) => d.image.sexe_apprenant,
    statut_apprenant: (d) => d.image.statut_apprenant,
    dernier_organisme_uai: (d) => d.image.dernier_organisme_uai,
    type_cfa: (d) => d.image.type_cfa,
  };
  const contracts = {
    contrat_date_fin: '2024-12-31',
    contrat_date_debut_2: '2025-01-06',
    contrat_date_fin_2: '2025-03-31',
    contrat_date_debut_3: '2025-04-07',
    contrat_date_fin_3: '2025-06-30',
    contrat_date_debut_4: '2025-07-07',
  };
  /** Values no normaliser can repair: wrong shape, wrong JSON type, too long, a control character. */
  const unrepairable: unknown[] = ['XX-??', true, { code: 1 }, '9'.repeat(25), 'AB\u0000CD'];

  test('the list covers every optional code of the v3 contract', () => {
    expect([...OPTIONAL_CODE_FIELDS].sort()).toEqual(Object.keys(where).sort());
  });

  test.each(Object.keys(where))(
    '%s: a malformed value never rejects the record; dropped with a warning naming it',
    (field) => {
      for (const bad of unrepairable) {
        const rec = dossier({ ...contracts, [field]: bad });
        expect([field, bad, errorsOf(rec)]).toEqual([field, bad, []]);
        const d = ok(rec);
        expect([field, bad, where[field]!(d)]).toEqual([field, bad, null]);
        const warned = d.warnings.filter((w) => w.path === field);
        expect([field, bad, warned.length]).toEqual([field, bad, 1]);
        expect(warned[0]!.message).toMatch(new RegExp(`^${field} : `));
        expect(warned[0]!.message.includes('\u0000')).toBe(false);
        expect(d.image.avertissements).toContain(`${warned[0]!.code}:${field}`);
      }
    },
  );

  test('repairable shapes are repaired with a warning: separators, a lost leading zero', () => {
    const d = ok(dossier({ formation_cfd: '500-221-06', code_postal_apprenant: 1000 }));
    expect([d.image.formation_cfd, d.image.code_postal_apprenant]).toEqual(['50022106', '01000']);
    expect(d.image.avertissements).toEqual([
      'CODE_REFORMATE:formation_cfd',
      'ZERO_INITIAL_RESTAURE:code_postal_apprenant',
    ]);
  });
});

describe('identity', () => {
  const secret = 'a-test-secret-of-32-characters!!';
  test('record key = formateur UAI : annee_scolaire : id_erp_apprenant, never a name', () => {
    const d = ok(dossier());
    expect(
      recordKey(d.image.etablissement_formateur_uai, d.image.annee_scolaire, d.image.id_erp_apprenant),
    ).toBe('0010070W:2024-2025:A-0001');
  });
  test('person key: stable across spacing, case and accents of names', () => {
    const a = personKey(secret, ok(dossier()));
    const b = personKey(secret, ok(dossier({ nom_apprenant: '  DUPONT ', prenom_apprenant: 'LEA' })));
    const c = personKey(secret, ok(dossier({ nom_apprenant: 'Dupônt', prenom_apprenant: ' léa  ' })));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(personKey(secret, ok(dossier({ prenom_apprenant: 'Léo' })))).not.toBe(a);
    expect(personKey('another-secret-of-32-characters!', ok(dossier()))).not.toBe(a);
  });
  test('person key: the INE when present, whatever the names', () => {
    const a = personKey(secret, ok(dossier({ ine_apprenant: '1234567890A' })));
    const b = personKey(secret, ok(dossier({ ine_apprenant: '1234567890a', nom_apprenant: 'Autre' })));
    expect(b).toBe(a);
    expect(a).not.toBe(personKey(secret, ok(dossier())));
  });
  test('no INE and no birth date: no person key (the pipeline keeps the previous one)', () => {
    expect(personKey(secret, ok(dossier({ date_de_naissance_apprenant: undefined })))).toBeNull();
  });
});

describe('change fingerprints', () => {
  const fp = (o: Record<string, unknown> = {}) => fingerprintOf(ok(dossier(o)));
  test('the same content in other shapes has the same fingerprint', () => {
    const base = fp();
    expect(
      fp({
        nom_apprenant: ' DUPONT ',
        prenom_apprenant: 'lea',
        annee_scolaire: '2024/2025',
        etablissement_formateur_siret: '439 371 121 00013',
        date_entree_formation: '02/09/2024',
        tel_apprenant: '+33 6 12 34 56 78',
        email_contact: 'LEA.DUPONT@example.org',
      }),
    ).toEqual(base);
  });
  test('date_metier_mise_a_jour_statut alone is not a change (it moves at every export)', () => {
    expect(fp({ date_metier_mise_a_jour_statut: '2025-03-01T00:00:00Z' })).toEqual(
      fp({ date_metier_mise_a_jour_statut: '2025-01-01T00:00:00Z' }),
    );
  });
  test('a change lists exactly the changed fields', () => {
    const before = fp();
    const after = fp({ contrat_date_rupture: '2025-01-15', formation_cfd: '40022106' });
    expect(changedFields(before, FINGERPRINT_LAYOUT, after)).toEqual(['formation_cfd', 'contrats']);
  });
  test('a birth date missing once is a hole, not a change', () => {
    expect(changedFields(fp(), FINGERPRINT_LAYOUT, fp({ date_de_naissance_apprenant: undefined }))).toEqual(
      [],
    );
    expect(
      changedFields(fp(), FINGERPRINT_LAYOUT, fp({ date_de_naissance_apprenant: '2005-04-13' })),
    ).toEqual(['date_de_naissance_apprenant']);
  });
  test('a state written with another layout reports every field', () => {
    const before = fp();
    const after = fp({ formation_cfd: '40022106' });
    expect(changedFields(before, FINGERPRINT_LAYOUT + 1, after).length).toBeGreaterThan(40);
  });
});
