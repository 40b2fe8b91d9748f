/**
 * What a role's scope (périmètre) lets it read (issue 6 §4; api/README.md, "Rôles et périmètres"):
 *
 * - public, admin: every territory (public figures are then under statistical secrecy);
 * - cfa: its organisation(s): every read is restricted to organisme_uai IN scope;
 * - dreets / ddets / academie: their territory: restricted to region / departement / academie IN scope;
 * - mission_locale: no aggregates or lists here (only its alerts, issue 7).
 *
 * A filter that points outside the scope (another UAI, région, département or académie) is a 403
 * naming the field, rather than an empty answer, so that a caller knows it asked for too much.
 */
import { departementOfUai } from '../../streams/referentiels/identifiants';
import type { OrganismesReferential } from '../../streams/referentiels/organismes';
import type { Territoires } from '../../streams/referentiels/territoires';
import { forbidden } from '../errors';
import type { Filters, ScopeRestriction } from '../sql/filters';
import type { Principal } from './tokens';

/** Département sets of régions and académies (from the territories referential). */
export interface TerritoryIndex {
  departementsOfRegion(region: string): ReadonlySet<string>;
  departementsOfAcademie(academie: string): ReadonlySet<string>;
  of(departement: string): { region: string; academie: string } | undefined;
}

export function territoryIndex(territoires: Territoires): TerritoryIndex {
  const byRegion = new Map<string, Set<string>>();
  const byAcademie = new Map<string, Set<string>>();
  for (const d of territoires.codes.departements) {
    const t = territoires.ofDepartement(d);
    if (!t) continue;
    if (!byRegion.has(t.region)) byRegion.set(t.region, new Set());
    byRegion.get(t.region)!.add(d);
    if (t.academie) {
      if (!byAcademie.has(t.academie)) byAcademie.set(t.academie, new Set());
      byAcademie.get(t.academie)!.add(d);
    }
  }
  const empty = new Set<string>();
  return {
    departementsOfRegion: (r) => byRegion.get(r) ?? empty,
    departementsOfAcademie: (a) => byAcademie.get(a) ?? empty,
    of: (d) => territoires.ofDepartement(d),
  };
}

/** The départements a territorial role covers. */
function departementsOfScope(p: Principal, idx: TerritoryIndex): Set<string> {
  const out = new Set<string>();
  for (const code of p.scope) {
    const deps =
      p.role === 'dreets'
        ? idx.departementsOfRegion(code)
        : p.role === 'academie'
          ? idx.departementsOfAcademie(code)
          : new Set([code]);
    for (const d of deps) out.add(d);
  }
  return out;
}

const intersects = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].some((x) => b.has(x));

/**
 * The restriction of a read of aggregates or lists to the caller's scope (null: none), after
 * checking that the territorial filters stay within it. Throws 403 (field named) otherwise.
 */
export function restrictToScope(
  p: Principal,
  filters: Filters,
  idx: TerritoryIndex,
): ScopeRestriction | null {
  switch (p.role) {
    case 'public':
    case 'admin':
      return null;
    case 'mission_locale':
      throw forbidden('le rôle mission_locale ne lit que ses alertes');
    case 'cfa':
      if (filters.uai !== undefined && !p.scope.includes(filters.uai)) {
        throw forbidden(
          `l'organisme ${filters.uai} n'est pas dans le périmètre du jeton`,
          'uai',
          'HORS_PERIMETRE',
        );
      }
      return { column: 'organisme_uai', values: p.scope };
    case 'dreets':
    case 'ddets':
    case 'academie': {
      const covered = departementsOfScope(p, idx);
      const checks: [keyof Filters, ReadonlySet<string> | undefined][] = [
        ['region', filters.region !== undefined ? idx.departementsOfRegion(filters.region) : undefined],
        [
          'academie',
          filters.academie !== undefined ? idx.departementsOfAcademie(filters.academie) : undefined,
        ],
        ['departement', filters.departement !== undefined ? new Set([filters.departement]) : undefined],
      ];
      for (const [field, deps] of checks) {
        if (deps !== undefined && !intersects(deps, covered)) {
          throw forbidden(
            `${field} ${filters[field]} est hors du périmètre du jeton`,
            field,
            'HORS_PERIMETRE',
          );
        }
      }
      const column = p.role === 'dreets' ? 'region' : p.role === 'ddets' ? 'departement' : 'academie';
      return { column, values: p.scope };
    }
  }
}

/** The département of an organisation: the referential's, else its UAI's first characters. */
export function departementOfOrganisme(uai: string, organismes: OrganismesReferential): string | undefined {
  return organismes.byUai(uai)[0]?.departement || departementOfUai(uai);
}

/** Whether the caller may read one organisation's data (transmission report). */
export function mayReadOrganisme(
  p: Principal,
  uai: string,
  idx: TerritoryIndex,
  organismes: OrganismesReferential,
): boolean {
  switch (p.role) {
    case 'admin':
      return true;
    case 'cfa':
      return p.scope.includes(uai);
    case 'dreets':
    case 'ddets':
    case 'academie': {
      const dep = departementOfOrganisme(uai, organismes);
      return dep !== undefined && departementsOfScope(p, idx).has(dep);
    }
    default:
      return false;
  }
}
