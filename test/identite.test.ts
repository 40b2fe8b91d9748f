/**
 * The sealed identity (schemas/identite.ts, schemas/avro/IdentiteApprenant.avsc): one schema, one
 * seal, one open, checked both ways; pure (no service).
 */
import { randomBytes } from 'node:crypto';
import { normaliseDossier } from '../connectors/core/normalise';
import { DecryptionError, openJson, sealJson } from '../infra/crypto';
import {
  identiteApprenant,
  IdentiteIllisibleError,
  openIdentite,
  openIdentiteOrNull,
  sealIdentite,
  type IdentiteApprenant,
} from '../schemas/identite';
import { dossier, ORG_A, referentialOf } from './connectors/support';

const key = randomBytes(32);

describe('seal and open', () => {
  it('round-trips; absent values are null in the type and left out of the sealed JSON', () => {
    const id = identiteApprenant({ nom: 'Dupont', prenom: 'Léa', tel_apprenant: '+33612345678' });
    expect(Object.keys(id)).toHaveLength(15);
    expect(id.ine).toBeNull();
    const sealed = sealIdentite(key, id);
    expect(openIdentite(key, sealed)).toEqual(id);
    expect(openJson(key, sealed)).toEqual({ nom: 'Dupont', prenom: 'Léa', tel_apprenant: '+33612345678' });
    expect(openIdentite(key, new Uint8Array(sealed))).toEqual(id); // as avsc decodes bytes
  });

  it('opens the blobs the connectors wrote before this module (same names, nulls left out)', () => {
    const before = sealJson(key, {
      nom: 'Martin',
      prenom: 'Noé',
      date_de_naissance: '2006-01-31',
      ine: '1234567890A',
    });
    expect(openIdentite(key, before)).toEqual(
      identiteApprenant({
        nom: 'Martin',
        prenom: 'Noé',
        date_de_naissance: '2006-01-31',
        ine: '1234567890A',
      }),
    );
  });

  it('no second set of names: a blob with the v3 field names is not an identity', () => {
    const other = sealJson(key, {
      nom_apprenant: 'Martin',
      prenom_apprenant: 'Noé',
      date_de_naissance_apprenant: '2006-01-31',
    });
    expect(() => openIdentite(key, other)).toThrow(IdentiteIllisibleError);
    expect(openIdentiteOrNull(key, other)).toBeNull();
    expect(() => openIdentite(key, sealJson(key, ['Martin']))).toThrow(IdentiteIllisibleError);
    expect(() => openIdentite(key, sealJson(key, { nom: 'Martin', prenom: 42 }))).toThrow(/prenom/);
  });

  it('another key: DecryptionError, or null', () => {
    const sealed = sealIdentite(key, identiteApprenant({ nom: 'A', prenom: 'B' }));
    expect(() => openIdentite(randomBytes(32), sealed)).toThrow(DecryptionError);
    expect(openIdentiteOrNull(randomBytes(32), sealed)).toBeNull();
    expect(openIdentiteOrNull(key, Buffer.alloc(0))).toBeNull();
    expect(openIdentiteOrNull(key, null)).toBeNull();
  });

  it('never seals what the schema refuses', () => {
    const bad = { ...identiteApprenant({ nom: 'A', prenom: 'B' }), telephone: '+33612345678' };
    expect(() => sealIdentite(key, bad as IdentiteApprenant)).toThrow(IdentiteIllisibleError);
    expect(() =>
      sealIdentite(key, { ...identiteApprenant({ nom: 'A', prenom: 'B' }), ine: 7 } as never),
    ).toThrow(/ine/);
  });
});

describe('what the connectors seal', () => {
  it('the normaliser builds an IdentiteApprenant (names as displayed, phone E.164, the address with its postcode)', () => {
    const r = normaliseDossier(
      dossier({
        nom_apprenant: '  DUPONT  ',
        adresse_apprenant: '1 rue de la Paix',
        ine_apprenant: '1234567890a',
      }),
      { organismes: referentialOf(ORG_A) },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.dossier.identite).toEqual(
      identiteApprenant({
        nom: 'DUPONT',
        prenom: 'Léa',
        date_de_naissance: '2005-04-12',
        ine: '1234567890A',
        email_contact: 'lea.dupont@example.org',
        tel_apprenant: '+33612345678',
        adresse_apprenant: '1 rue de la Paix',
        code_postal_apprenant: '01000',
      }),
    );
    expect(openIdentite(key, sealIdentite(key, r.dossier.identite))).toEqual(r.dossier.identite);
  });
});
