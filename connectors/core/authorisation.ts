/**
 * What an organisation's API key may write (connectors/README.md, "Organisations").
 *
 * A record is keyed by its formateur (`formateur UAI:année:id`, identity.ts): whoever may name a
 * formateur may overwrite that formateur's learners. So a key of organisation K writes a record
 * only when
 * 1. its formateur pair (UAI, SIRET) is exactly K's (a CFA transmits for itself, whatever
 *    responsable the record names), or
 * 2. its formateur is attached to K in the relations referential (streams/referentiels/relations.ts)
 *    AND the record names K as its responsable (a responsible CFA transmits for its sites, as
 *    their responsable).
 * Anything else is refused with ORGANISME_NON_AUTORISE naming the field at fault. Pairs are compared
 * whole and normalised (the normalisers' form: UAI upper case, SIRET digits): the UAI of one
 * organisation with the SIRET of another is neither.
 */
import type { PaireOrganisme, RelationsOrganismes } from '../../streams/referentiels/relations';
import type { ValidationIssue } from './issues';

const same = (a: PaireOrganisme, b: PaireOrganisme) => a.uai === b.uai && a.siret === b.siret;
const shownPair = (p: PaireOrganisme) => `UAI ${p.uai}, SIRET ${p.siret}`;

/**
 * Null when `key` may write a record with these pairs (normalised), else the ORGANISME_NON_AUTORISE
 * issue naming the field at fault (French message, identifiers of organisations only: no
 * personal data).
 */
export function writeRefusal(
  key: PaireOrganisme,
  formateur: PaireOrganisme,
  responsable: PaireOrganisme,
  relations: RelationsOrganismes,
): ValidationIssue | null {
  if (same(formateur, key)) return null;
  const cle = `la clé d'API (${shownPair(key)})`;
  if (relations.isAttached(key, formateur)) {
    if (same(responsable, key)) return null;
    const path =
      responsable.uai === key.uai ? 'etablissement_responsable_siret' : 'etablissement_responsable_uai';
    return {
      code: 'ORGANISME_NON_AUTORISE',
      path,
      message: `${path} : le formateur (${shownPair(formateur)}) est rattaché à ${cle}, mais le dossier nomme un autre responsable (${shownPair(responsable)}) ; un responsable transmet les dossiers de ses formateurs en se nommant responsable`,
    };
  }
  // Same UAI, other SIRET (or the reverse): the field that differs is the one named.
  const path = formateur.uai === key.uai ? 'etablissement_formateur_siret' : 'etablissement_formateur_uai';
  return {
    code: 'ORGANISME_NON_AUTORISE',
    path,
    message: `${path} : le formateur de ce dossier (${shownPair(formateur)}) n'est pas l'organisme de ${cle} et ne lui est pas rattaché dans le référentiel des relations entre organismes ; seul l'organisme formateur, ou son responsable, transmet ses dossiers`,
  };
}
