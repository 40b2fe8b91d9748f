/**
 * The French sentences of the status module's warnings, rendered from their data
 * (`{code, champ, params}`, types.ts) at the edges that show them to people: the connectors'
 * replies and dead-letter records (connectors/core/normalise.ts) and `tdb timeline` (cli.ts). The
 * engine, the calendar and from-v3.ts never call this module: they return data only.
 *
 * Each message says what was done and what the CFA should fix (README.md, fault table). Messages
 * of the date-time warnings do not name the field (the caller prefixes it where it shows one).
 */
import type { StatusWarning, StatusWarningCode, StatusWarningParams } from './types';

type Renderers = { [C in StatusWarningCode]: (p: StatusWarningParams[C], champ: string) => string };

const RENDERERS: Renderers = {
  CONTRAT_AVANT_ENTREE: (p) =>
    `contrat ${p.rang} commencé (${p.debut}) avant l'entrée en formation (${p.entree}) : le parcours commence au début du contrat ; vérifiez date_entree_formation`,
  CONTRAT_FIN_AVANT_DEBUT: (p) =>
    `contrat ${p.rang} ignoré : sa date de fin (${p.fin}) précède son début (${p.debut}) ; corrigez les dates du contrat`,
  CONTRAT_APRES_FIN_FORMATION: (p) =>
    `contrat ${p.rang} ignoré : il commence (${p.debut}) après la fin de la formation (${p.fin_formation}) ; vérifiez les dates du contrat et de la formation`,
  CONTRAT_SANS_DATE_DEBUT: (p, champ) =>
    `contrat ${p.rang} ignoré : il a une date de fin ou de rupture mais pas de date de début ; renseignez ${champ}`,
  CONTRATS_CHEVAUCHANTS: (p) =>
    `contrat ${p.rang} (début ${p.debut}) chevauche un autre contrat : les jours couverts par l'un ou l'autre sont comptés une fois ; vérifiez les dates des contrats`,
  RUPTURE_AVANT_DEBUT_CONTRAT: (p) =>
    `contrat ${p.rang} rompu le ${p.rupture}, avant son début (${p.debut}) : il ne couvre aucun jour ; vérifiez la date de rupture`,
  RUPTURE_JOUR_DEBUT_CONTRAT: (p) =>
    `contrat ${p.rang} rompu le jour de son début (${p.debut}) : il ne couvre aucun jour ; vérifiez la date de rupture`,
  RUPTURE_APRES_FIN_CONTRAT: (p) =>
    `contrat ${p.rang} rompu le ${p.rupture}, après sa fin prévue (${p.fin}) : il est compté jusqu'à la veille de la rupture ; mettez à jour la date de fin si le contrat a été prolongé`,
  RUPTURE_FUTURE: (p) =>
    `rupture du contrat ${p.rang} datée dans le futur (${p.rupture}, après le ${p.date_reference}) : prise en compte à partir de cette date seulement`,
  EXCLUSION_AVANT_ENTREE: (p) =>
    `exclusion (${p.exclusion}) antérieure à l'entrée en formation (${p.entree}) : tout le parcours est ABANDON ; vérifiez la date d'exclusion`,
  EXCLUSION_APRES_FIN_FORMATION: (p) =>
    `exclusion (${p.exclusion}) postérieure à la fin de la formation (${p.fin_formation}) : sans effet ; vérifiez la date d'exclusion`,
  DATE_HEURE_CONVERTIE: (p) =>
    `date-heure "${p.recu}" convertie en jour calendaire de ${p.fuseau} : ${p.jour} ; envoyez une date AAAA-MM-JJ`,
  DATE_HEURE_IGNOREE: (p) => {
    switch (p.forme) {
      case 'serie_excel':
        return `numéro de série Excel ${p.recu} : heure ignorée, jour retenu ${p.jour}`;
      case 'sans_fuseau':
        return `date-heure "${p.recu}" sans fuseau : heure ignorée, jour retenu ${p.jour} ; envoyez une date AAAA-MM-JJ`;
      case 'decalage':
        return `date-heure "${p.recu}" : heure ignorée, jour retenu ${p.jour} (jour local de l'émetteur, décalage ${p.decalage ?? ''}) ; envoyez une date AAAA-MM-JJ`;
      default:
        return `date-heure "${p.recu}" : heure ignorée, jour retenu ${p.jour} ; envoyez une date AAAA-MM-JJ`;
    }
  },
};

/** The French message of a warning (or of a calendar warning, given the field it is about). */
export function statusWarningMessage(w: StatusWarning): string {
  const render = RENDERERS[w.code] as (p: StatusWarning['params'], champ: string) => string;
  return render(w.params, w.champ);
}
