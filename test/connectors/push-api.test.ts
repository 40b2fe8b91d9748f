/**
 * POST /api/v3/dossiers-apprenants on the real Kafka, Redis and schema registry (isolated
 * namespace): contract replies, per-item validation, API key scoping, change data capture and the
 * dead-letter topic.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createContext } from '../../infra/context';
import { openJson } from '../../infra/crypto';
import { openIdentite } from '../../schemas/identite';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { eventually, type TestPlatform } from '../support/platform';
import {
  collectTopics,
  dossier,
  ORG_A,
  ORG_B,
  send,
  startIngestionBench,
  topicSize,
  type Decoded,
} from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let keyA: string;
let keyB: string;
let topics: Awaited<ReturnType<typeof collectTopics>>;

let base: string;
const push = (key: string | null, body: unknown) =>
  send(base, '/api/v3/dossiers-apprenants', { authorization: key ? `Bearer ${key}` : undefined, json: body });

beforeAll(async () => {
  ({
    platform,
    app,
    base,
    keys: [keyA, keyB],
  } = await startIngestionBench({}, [{ ...ORG_A, erp: 'ypareo' }, ORG_B]));
  topics = await collectTopics(platform.ctx, ['changes', 'latest', 'deadLetter', 'transmissions']);
});

afterAll(async () => {
  await topics?.stop();
  await app?.close();
  await platform?.cleanup();
});

describe('authentication and scoping', () => {
  test('no key, an unknown key: 401', async () => {
    expect((await push(null, [dossier()])).statusCode).toBe(401);
    const unknown = await push('tdb_not-a-key', [dossier()]);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe("clé d'API inconnue");
  });

  test('a record of another organisation: 403, nothing accepted', async () => {
    const before = await topicSize(platform.ctx, 'changes');
    const res = await push(keyB, [dossier({ id_erp_apprenant: 'FOREIGN-1' })]);
    expect(res.statusCode).toBe(403);
    expect(res.json().elements).toEqual([0]);
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
  });

  test('a revoked key is refused', async () => {
    const store = redisApiKeyStore(platform.ctx.redis, platform.ctx.keys.apiKeys);
    const { key, record } = await store.create({ ...ORG_A, now: Date.now() });
    expect((await push(key, [])).statusCode).toBe(200);
    await store.revoke(record.id, Date.now());
    const res = await push(key, []);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/révoquée/);
  });

  test('more than 2,000 items or a non-array body: 400', async () => {
    expect(
      (
        await push(
          keyA,
          Array.from({ length: 2001 }, () => ({})),
        )
      ).statusCode,
    ).toBe(400);
    expect((await push(keyA, { not: 'an array' })).statusCode).toBe(400);
  });
});

describe('a batch with valid and invalid items', () => {
  test('the invalid item gets validation_errors naming the field, the valid ones are produced', async () => {
    const items = [
      dossier({ id_erp_apprenant: 'MIX-1' }),
      dossier({
        id_erp_apprenant: 'MIX-2',
        etablissement_formateur_siret: '43937112100014',
        etablissement_responsable_siret: ORG_A.siret,
      }),
      dossier({ id_erp_apprenant: 'MIX-3', nom_apprenant: '  DUPONT  ', prenom_apprenant: 'Léo' }),
    ];
    // MIX-2's formateur SIRET has a wrong Luhn key: rejected, naming the field.
    const res = await push(keyA, items);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('OK');
    expect(body.message).toBe('Queued');
    expect(body.detail).toBe('Some data are invalid');
    expect(body.data).toHaveLength(3);
    expect(body.data[0].validation_errors).toEqual([]);
    expect(body.data[1].validation_errors).toEqual([
      expect.objectContaining({ code: 'SIRET_CLE_INVALIDE', path: 'etablissement_formateur_siret' }),
    ]);
    expect(body.data[1].validation_errors[0].message).toMatch(
      /^etablissement_formateur_siret : la clé de contrôle du SIRET est fausse/,
    );
    expect(body.data[2].validation_errors).toEqual([]);

    const changes = await topics.wait('changes', 2);
    const mine = changes.filter((m) => /MIX-/.test(m.key));
    expect(mine.map((m) => m.key).sort()).toEqual([
      `${ORG_A.uai}:2024-2025:MIX-1`,
      `${ORG_A.uai}:2024-2025:MIX-3`,
    ]);
    const created = mine.find((m) => m.key.endsWith('MIX-1'))!.value as Decoded;
    expect(created.operation).toBe('CREATE');
    expect(created.version).toBe(1);
    expect(created.source).toEqual({
      connector: 'api-v3',
      erp: 'ypareo',
      organisme_uai: ORG_A.uai,
      organisme_siret: ORG_A.siret,
    });
    expect(created.after.date_entree_formation).toBe(19968); // 2024-09-02
    expect(created.after.contrats).toEqual([
      {
        date_debut: 19975,
        date_fin: 20634,
        date_rupture: null,
        cause_rupture: null,
        siret_employeur: '44306184100047',
      },
    ]);
    expect(created.after.age_entree_formation).toBe(19);
    expect(created.person_key).toMatch(/^[0-9a-f]{64}$/);
    const identite = openIdentite(platform.ctx.secrets.dataKey, created.after.identite_chiffree as Buffer);
    expect(identite).toMatchObject({
      nom: 'Dupont',
      prenom: 'Léa',
      date_de_naissance: '2005-04-12',
      tel_apprenant: '+33612345678',
    });
    // Names never in keys.
    expect(JSON.stringify(mine.map((m) => m.key))).not.toMatch(/dupont/i);

    // The same image goes to the compacted topic, same key.
    const latest = await topics.wait('latest', 2);
    expect(
      latest
        .filter((m) => /MIX-/.test(m.key))
        .map((m) => m.key)
        .sort(),
    ).toEqual(mine.map((m) => m.key).sort());

    // The rejected item is in the dead-letter topic with its reason; its input only encrypted.
    const dead = (await topics.wait('deadLetter', 1)).find((m) => m.key === `${ORG_A.uai}:2024-2025:MIX-2`);
    expect(dead).toBeDefined();
    expect(dead!.value.errors).toEqual([
      expect.objectContaining({ code: 'SIRET_CLE_INVALIDE', path: 'etablissement_formateur_siret' }),
    ]);
    expect(dead!.value.location).toBe('élément 2'); // items[1]: the second item (1-based for humans)
    expect(
      openJson<Record<string, unknown>>(platform.ctx.secrets.dataKey, dead!.value.input_chiffre as Buffer),
    ).toEqual(items[1]);

    // One transmission report for the call.
    const report = (await topics.wait('transmissions', 1)).map((m) => m.value).find((r) => r.recus === 3);
    expect(report).toMatchObject({
      connector: 'api-v3',
      organisme_uai: ORG_A.uai,
      recus: 3,
      acceptes: 2,
      rejetes: 1,
      crees: 2,
      modifies: 0,
      inchanges: 0,
    });
  });
});

describe('change data capture', () => {
  test('an unchanged resend produces no event; a changed record produces an UPDATE with its changed fields', async () => {
    const base = [1, 2, 3].map((i) =>
      dossier({ id_erp_apprenant: `CDC-${i}`, date_metier_mise_a_jour_statut: '2025-01-10T08:00:00Z' }),
    );
    expect((await push(keyA, base)).statusCode).toBe(200);
    await topics.wait('changes', 5);
    // The base push's own report must be in before the resend, so that the next report is the resend's.
    const reportsBefore = await eventually(
      async () => (await topics.wait('transmissions', 1)).filter((m) => m.value.organisme_uai === ORG_A.uai),
      (rs) => rs.some((m) => m.value.crees === 3 && m.value.recus === 3),
    );
    const before = await topicSize(platform.ctx, 'changes');
    const latestBefore = await topicSize(platform.ctx, 'latest');

    // Same records, other shapes of the same values and a new ERP timestamp: unchanged.
    const resend = base.map((d) => ({
      ...d,
      nom_apprenant: ' DUPONT ',
      prenom_apprenant: 'lea',
      etablissement_formateur_siret: '439 371 121 00013',
      annee_scolaire: '2024/2025',
      date_entree_formation: '02/09/2024',
      date_metier_mise_a_jour_statut: '2025-02-01T08:00:00Z',
    }));
    expect((await push(keyA, resend)).statusCode).toBe(200);
    const reports = await eventually(
      async () => (await topics.wait('transmissions', 1)).filter((m) => m.value.organisme_uai === ORG_A.uai),
      (rs) => rs.length > reportsBefore.length,
    );
    expect(reports.at(-1)!.value).toMatchObject({
      recus: 3,
      acceptes: 3,
      inchanges: 3,
      crees: 0,
      modifies: 0,
    });
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
    expect(await topicSize(platform.ctx, 'latest')).toBe(latestBefore);

    // A rupture arrives for CDC-2.
    const changed = [{ ...base[1]!, contrat_date_rupture: '2025-01-15', cause_rupture_contrat: 'démission' }];
    expect((await push(keyA, changed)).statusCode).toBe(200);
    const update = (await topics.wait('changes', 6)).find(
      (m) => m.key.endsWith('CDC-2') && m.value.operation === 'UPDATE',
    );
    expect(update).toBeDefined();
    expect(update!.value.version).toBe(2);
    expect(update!.value.changed_fields).toEqual(['contrats']);
    expect((update!.value.after as Decoded).contrats[0].date_rupture).toBe(20103); // 2025-01-15
    expect(await topicSize(platform.ctx, 'changes')).toBe(before + 1);
  });
});

describe('the contract (dossier-apprenant-v3.md)', () => {
  test('every shape the contract says ERPs send is accepted and normalised', async () => {
    const examples: Record<string, unknown>[] = [
      dossier({ id_erp_apprenant: 'EX-annee-slash', annee_scolaire: '2024/2025' }),
      dossier({ id_erp_apprenant: 'EX-annee-spaces', annee_scolaire: ' 2024 - 2025 ' }),
      dossier({ id_erp_apprenant: 'EX-annee-equal', annee_scolaire: '2024-2024' }),
      dossier({ id_erp_apprenant: 123456 }),
      dossier({
        id_erp_apprenant: 'EX-datetime',
        date_de_naissance_apprenant: '2005-04-12T00:00:00.000Z',
        date_entree_formation: '2024-09-02T00:00:00+02:00',
      }),
      dossier({ id_erp_apprenant: 'EX-uai-lower', etablissement_formateur_uai: ORG_A.uai.toLowerCase() }),
      dossier({ id_erp_apprenant: 'EX-siret-spaces', etablissement_formateur_siret: '439 371 121 00013' }),
      dossier({ id_erp_apprenant: 'EX-siret-dots', etablissement_responsable_siret: '439.371.121.00013' }),
      dossier({ id_erp_apprenant: 'EX-siret-dashes', etablissement_formateur_siret: '439-371-121-00013' }),
      dossier({ id_erp_apprenant: 'EX-sexe-H', sexe_apprenant: 'H' }),
      dossier({ id_erp_apprenant: 'EX-sexe-1', sexe_apprenant: '1' }),
      dossier({ id_erp_apprenant: 'EX-sexe-2', sexe_apprenant: 2 }),
      dossier({ id_erp_apprenant: 'EX-rncp', formation_rncp: '34567' }),
      dossier({
        id_erp_apprenant: 'EX-statuts',
        statut_apprenant: 0,
        date_metier_mise_a_jour_statut: '2025-01-10T08:00:00Z',
        custom_statut_apprenant: 'Sorti',
      }),
      dossier({
        id_erp_apprenant: 'EX-full',
        ine_apprenant: '1234567890A',
        rqth_apprenant: true,
        date_rqth_apprenant: '2023-05-01',
        responsable_apprenant_mail1: 'parent@example.org',
        adresse_apprenant: '1 rue de la Paix',
        code_postal_de_naissance_apprenant: '75011',
        code_commune_insee_de_naissance_apprenant: '75111',
        nir_apprenant: '2050475123456',
        libelle_court_formation: 'CAP CUISINE',
        annee_formation: 1,
        duree_theorique_formation: 2,
        duree_theorique_formation_mois: 24,
        formation_presentielle: true,
        obtention_diplome_formation: false,
        nom_referent_handicap_formation: 'Martin',
        prenom_referent_handicap_formation: 'Paul',
        email_referent_handicap_formation: 'referent@example.org',
        contrat_date_rupture: '2025-01-15',
        cause_rupture_contrat: 'démission',
        contrat_date_debut_2: '2025-02-01',
        contrat_date_fin_2: '2026-06-30',
        siret_employeur_2: '44306184100047',
        contrat_date_debut_3: '2026-07-01',
        contrat_date_debut_4: '2026-07-02',
        etablissement_lieu_de_formation_uai: ORG_B.uai,
        etablissement_lieu_de_formation_siret: ORG_B.siret,
        etablissement_lieu_de_formation_adresse: '3 rue du Lycée',
        etablissement_lieu_de_formation_code_postal: '01000',
        derniere_situation: '1003',
        dernier_organisme_uai: ORG_B.uai,
        type_cfa: '03',
      }),
    ];
    const res = await push(keyA, examples);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.detail).toBeUndefined();
    expect(body.data.map((d: { validation_errors: unknown[] }) => d.validation_errors)).toEqual(
      examples.map(() => []),
    );
    // The NIR is not echoed back.
    expect(JSON.stringify(body)).not.toContain('2050475123456');
    const full = (await topics.waitKey('changes', `${ORG_A.uai}:2024-2025:EX-full`, 1))[0]!.value
      .after as Decoded;
    expect(full).toMatchObject({
      nir_present: true,
      rqth_apprenant: true,
      type_cfa: '03',
      dernier_organisme_uai: ORG_B.uai,
      duree_theorique_formation_mois: 24,
    });
    expect(full.contrats).toHaveLength(4);
    expect(JSON.stringify(full)).not.toContain('2050475123456');
    const equal = await topics.waitKey('changes', `${ORG_A.uai}:2024-2024:EX-annee-equal`, 1);
    expect(equal).toHaveLength(1);
    expect(await topics.waitKey('changes', `${ORG_A.uai}:2024-2025:123456`, 1)).toHaveLength(1);
  });
});

describe('limits', () => {
  test('the rate limit is per API key (429 past TDB_API_RATE_LIMIT requests per minute)', async () => {
    const ctx = createContext({ ...platform.config, TDB_API_RATE_LIMIT: 2 }, 'test-rate');
    const limited = await buildApp(ctx, { logger: false });
    const url = await limited.listen({ host: '127.0.0.1', port: 0 });
    try {
      const call = (key: string) =>
        send(url, '/api/v3/dossiers-apprenants', { authorization: `Bearer ${key}`, json: [] });
      // Counters are shared through Redis: earlier calls of keyB in this file may count.
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(keyB)).statusCode);
      expect(statuses.at(-1)).toBe(429);
      const res = await call(keyB);
      expect(res.json()).toMatchObject({ status: 'ERROR', code: 'TROP_DE_REQUETES' });
      expect(res.json().message).toMatch(/^trop de requêtes pour cette clé d'API : 2 par minute/);
      // Another key is not limited by keyB's calls.
      const { key } = await redisApiKeyStore(platform.ctx.redis, platform.ctx.keys.apiKeys).create({
        ...ORG_A,
        now: Date.now(),
      });
      expect((await call(key)).statusCode).toBe(200);
    } finally {
      await limited.close();
      await ctx.close();
    }
  });

  test('a body over 10 MB is refused (413)', async () => {
    const big = [dossier({ adresse_apprenant: 'x'.repeat(11 * 1024 * 1024) })];
    expect((await push(keyA, big)).statusCode).toBe(413);
  });
});
