/**
 * The pipeline's CPU work gives the same results on worker threads as in the calling thread
 * (connectors/core/worker-pool.ts), and the envelopes decode with the registry codec.
 */
import { openJson } from '../../infra/crypto';
import { openIdentite } from '../../schemas/identite';
import { inThreadPool, workerThreadPool, type WorkPool } from '../../connectors/core/worker-pool';
import type { Decision, NormaliseTask } from '../../connectors/core/work';
import { createTestPlatform, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { dossier, ORG_A, type Decoded } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let pools: WorkPool[] = [];

beforeAll(async () => {
  platform = await createTestPlatform({ TDB_ORGANISMES_CSV: ORGANISMES_CSV });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await platform?.cleanup();
});

test('worker threads and the calling thread normalise and encode alike', async () => {
  const task: NormaliseTask = {
    connector: 'test',
    now: Date.parse('2025-03-01T10:00:00Z'),
    items: [
      dossier({ id_erp_apprenant: 'W-1', ine_apprenant: '1234567890A' }),
      dossier({ id_erp_apprenant: 'W-2', etablissement_formateur_siret: '43937112100014' }),
      dossier({
        id_erp_apprenant: 'W-3',
        date_de_naissance_apprenant: undefined,
        tel_apprenant: '0690 12 34 56',
      }),
    ].map((input, i) => ({ input, location: `élément ${i + 1}` })),
    authorised: ORG_A,
    organisme: ORG_A,
  };
  pools = [inThreadPool(platform.ctx), workerThreadPool(platform.config, 2)];
  const codec = await platform.ctx.codec();
  const results = [];
  for (const pool of pools) {
    const { handle, items } = await pool.normalise(task);
    const decisions: Decision[] = [0, 2].map((index) => ({
      index,
      operation: 'CREATE',
      version: 1,
      changed_fields: [],
      person_key: 'pk',
      source: { connector: 'test', erp: null, organisme_uai: ORG_A.uai, organisme_siret: ORG_A.siret },
    }));
    const encoded = await pool.encode(handle, task.now, decisions);
    const envelopes = await Promise.all(encoded.changes.map((b) => codec.decode<Decoded>(Buffer.from(b))));
    const dead = items[1]!.ok ? null : await codec.decode<Decoded>(Buffer.from(items[1]!.deadLetter));
    results.push({
      items: items.map((n) => (n.ok ? n : { ...n, deadLetter: null })),
      envelopes: envelopes.map((e): Decoded => ({
        ...e,
        event_id: typeof e.event_id,
        after: {
          ...e.after,
          identite_chiffree: openIdentite(platform.ctx.secrets.dataKey, e.after.identite_chiffree),
        },
      })),
      dead: dead && {
        ...dead,
        event_id: typeof dead.event_id,
        input_chiffre: openJson(platform.ctx.secrets.dataKey, dead.input_chiffre),
      },
    });
  }
  expect(results[1]).toEqual(results[0]);
  const [inThread] = results;
  expect(inThread!.items.map((n) => n.ok)).toEqual([true, false, true]);
  expect(inThread!.envelopes.map((e) => [e.record_key, e.after.identite_chiffree.tel_apprenant])).toEqual([
    [`${ORG_A.uai}:2024-2025:W-1`, '+33612345678'],
    [`${ORG_A.uai}:2024-2025:W-3`, '+590690123456'],
  ]);
  expect(inThread!.dead).toMatchObject({
    location: 'élément 2',
    errors: [{ code: 'SIRET_CLE_INVALIDE' }],
    input_chiffre: task.items[1]!.input,
  });
});
