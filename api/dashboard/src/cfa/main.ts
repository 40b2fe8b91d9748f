/**
 * The training organisation's page (cfa token; its UAIs are the token's scope): its last
 * transmissions and the volumes per day (/organismes/{uai}/transmission and /lots), the items that
 * were refused with the field, the reason and how to fix it (/organismes/{uai}/rejets, read from
 * the dead-letter topic), its indicators by status and by formation (/indicateurs/par/formation,
 * restricted to its UAI by the token; its total row gives the key figures), and its nominative list
 * (/apprenants, every status, paginated, downloadable).
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiFailure, downloadWithToken, getJson, query } from '../common/api';
import { cell, COUNTER_LABELS, COUNTERS, instant, jour, nombre, type Counts } from '../common/format';
import { platformToday, show } from '../common/page';
import { loadSession, refusal, sessionBar, signInForm, type Session } from '../common/session';
import { alert, counterColumns, table, type Column } from '../common/table';

/** ECharts is loaded on its own, in parallel with the API calls: the numbers do not wait for it. */
const charts = import('../common/chart');

const PAGE = 'cfa';

type Loaded<T> = T | ApiFailure | undefined;

interface Volumes {
  recus: number;
  acceptes: number;
  rejetes: number;
  inchanges: number;
  crees: number;
  modifies: number;
  non_transmis: number;
}
interface Transmission {
  derniere_transmission: (Volumes & { received_at: string; erp: string; connector: string }) | null;
  jours_sans_transmission: number | null;
  totaux: Volumes & { lots: number };
  par_jour: (Volumes & { jour: string; lots: number })[];
}
interface Lot extends Volumes {
  batch_id: string;
  received_at: string;
  connector: string;
  erp: string;
}
interface Rejets {
  depuis: string;
  total: number;
  par_jour: { jour: string; rejets: number }[];
  rejets: {
    recu_le: string;
    connecteur: string;
    emplacement: string | null;
    erreurs: { code: string; champ: string; raison: string; correction: string }[];
  }[];
}
type Ligne = Counts & { code: string | null; libelle: string | null };
interface Par {
  lignes: Ligne[];
  total: Counts;
}
interface Apprenant {
  nom: string | null;
  prenom: string | null;
  date_de_naissance: string | null;
  formation_cfd: string | null;
  niveau: string | null;
  date_entree: string | null;
  date_fin: string | null;
  statut: string;
  statut_depuis: string;
}
interface Liste {
  total: number;
  page: number;
  par_page: number;
  apprenants: Apprenant[];
}

const STATUTS: Record<string, string> = {
  INSCRIT: 'Inscrit sans contrat',
  APPRENTI: 'Apprenti',
  FIN_DE_FORMATION: 'Fin de formation',
  RUPTURANT: 'Rupturant',
  ABANDON: 'Abandon',
};
const LIST_FILTERS: Record<string, string> = {
  '': 'Tous',
  apprentis: 'Apprentis',
  inscrits: 'Inscrits sans contrat',
  rupturants: 'Rupturants',
  abandons: 'Abandons',
};
const PAR_PAGE = 50;
const FORMATIONS_SHOWN = 10;

interface View {
  session: Session;
  uai: string;
  transmission?: Loaded<Transmission>;
  lots?: Loaded<{ nom: string | null; lots: Lot[] }>;
  rejets?: Loaded<Rejets>;
  formations?: Loaded<Par>;
  liste?: Loaded<Liste>;
  page: number;
  statut: string;
  toutesFormations?: boolean;
}
let view: View | null = null;

function start(session: Session): void {
  const wanted = new URLSearchParams(location.search).get('uai');
  const uai = wanted && session.scope.includes(wanted) ? wanted : session.scope[0]!;
  view = { session, uai, page: 1, statut: '' };
  const v = view;
  const t = session.token;
  const u = encodeURIComponent(uai);
  const date = platformToday();
  const put =
    <K extends keyof View>(k: K) =>
    (x: unknown) => {
      if (view !== v) return;
      if (x instanceof ApiFailure && x.status === 401) return signIn(refusal(x));
      (v as unknown as Record<string, unknown>)[k] = x;
      render();
    };
  const load = <K extends keyof View>(k: K, path: string) => getJson(path, t).then(put(k), put(k));
  // The key figures are the total of the table by formation (the same counts as /indicateurs?uai,
  // restricted to the token's organisation): one scan of the facts instead of two.
  load('formations', `/api/v1/indicateurs/par/formation${query({ date, uai })}`);
  load('transmission', `/api/v1/organismes/${u}/transmission${query({ jours: 30 })}`);
  load('lots', `/api/v1/organismes/${u}/lots${query({ n: 10 })}`);
  load('rejets', `/api/v1/organismes/${u}/rejets${query({ jours: 30, limit: 100 })}`);
  loadList();
  render();
}

function loadList(): void {
  const v = view!;
  v.liste = undefined;
  getJson<Liste>(
    `/api/v1/apprenants${query({ uai: v.uai, statut: v.statut || undefined, page: v.page, par_page: PAR_PAGE })}`,
    v.session.token,
  ).then(
    (l) => {
      v.liste = l;
      render();
    },
    (e: ApiFailure) => {
      v.liste = e;
      render();
    },
  );
}

const section = (id: string, title: string, body: TemplateResult) =>
  html`<section class="fr-mb-6w" aria-labelledby=${id}>
    <h2 class="fr-h4" id=${id}>${title}</h2>
    ${body}
  </section>`;

function pending<T>(x: Loaded<T>, what: string, f: (x: T) => TemplateResult): TemplateResult {
  if (x === undefined) return html`<p>Chargement ${what}…</p>`;
  if (x instanceof ApiFailure) return alert('error', refusal(x), 'Données indisponibles');
  return f(x);
}

function transmissions(v: View): TemplateResult {
  return pending(v.transmission, 'des transmissions', (t) => {
    const last = t.derniere_transmission;
    const lotColumns: Column<Lot>[] = [
      { label: 'Reçu le', value: (l) => instant(l.received_at) },
      { label: 'Logiciel', value: (l) => `${l.erp || '—'} (${l.connector})` },
      { label: 'Reçus', numeric: true, value: (l) => nombre(l.recus) },
      { label: 'Acceptés', numeric: true, value: (l) => nombre(l.acceptes) },
      { label: 'Refusés', numeric: true, value: (l) => nombre(l.rejetes) },
      { label: 'Inchangés', numeric: true, value: (l) => nombre(l.inchanges) },
    ];
    const dayColumns: Column<Transmission['par_jour'][number]>[] = [
      { label: 'Jour', value: (d) => jour(d.jour) },
      { label: 'Lots', numeric: true, value: (d) => nombre(d.lots) },
      { label: 'Reçus', numeric: true, value: (d) => nombre(d.recus) },
      { label: 'Acceptés', numeric: true, value: (d) => nombre(d.acceptes) },
      { label: 'Refusés', numeric: true, value: (d) => nombre(d.rejetes) },
    ];
    return html`${
        last
          ? alert(
              t.jours_sans_transmission !== null && t.jours_sans_transmission > 7 ? 'warning' : 'info',
              `Dernier envoi le ${instant(last.received_at)} (${last.erp || last.connector}) : ${nombre(last.recus)} dossiers reçus, ${nombre(last.acceptes)} accepté${last.acceptes > 1 ? 's' : ''}, ${nombre(last.rejetes)} refusé${last.rejetes > 1 ? 's' : ''}.${t.jours_sans_transmission ? ` Aucun envoi depuis ${t.jours_sans_transmission} jour${t.jours_sans_transmission > 1 ? 's' : ''}.` : ''}`,
            )
          : alert('warning', 'Aucun envoi reçu de cet organisme pour l’instant.')
      }
      ${pending(v.lots, 'des derniers envois', (l) =>
        table({
          id: 'lots',
          caption: 'Derniers envois',
          columns: lotColumns,
          rows: l.lots,
          empty: 'Aucun envoi.',
        }),
      )}
      <div
        class="tdb-graphique"
        id="graphique-jours"
        role="img"
        aria-label="Dossiers reçus et refusés par jour sur 30 jours ; les valeurs sont dans le tableau qui suit"
      ></div>
      <details>
        <summary>Voir les volumes par jour (${t.par_jour.length} jours avec envoi)</summary>
        ${table({ id: 'par-jour', caption: 'Volumes par jour, 30 derniers jours', columns: dayColumns, rows: t.par_jour, rowHeader: true })}
      </details>`;
  });
}

function rejets(v: View): TemplateResult {
  return pending(v.rejets, 'des dossiers refusés (lecture de la file des rejets)', (r) => {
    const rows = r.rejets.flatMap((x) => x.erreurs.map((e, i) => ({ ...e, x, first: i === 0 })));
    const columns: Column<(typeof rows)[number]>[] = [
      { label: 'Reçu le', value: (e) => (e.first ? instant(e.x.recu_le) : '') },
      { label: 'Emplacement', value: (e) => (e.first ? (e.x.emplacement ?? '—') : '') },
      { label: 'Champ', value: (e) => html`<code>${e.champ}</code>` },
      { label: 'Raison', value: (e) => e.raison },
      { label: 'Comment corriger', value: (e) => e.correction },
    ];
    return html`<p>
        ${
          r.total === 0
            ? `Aucun dossier refusé depuis le ${jour(r.depuis)}.`
            : `${nombre(r.total)} dossier${r.total > 1 ? 's' : ''} refusé${r.total > 1 ? 's' : ''} depuis le ${jour(r.depuis)} : ils ne sont pas comptés tant qu’ils ne sont pas corrigés et renvoyés.`
        }
      </p>
      ${
        r.par_jour.length
          ? html`<p class="fr-text--sm">
              Par jour :
              ${r.par_jour.map((d, i) => html`${i ? ', ' : ''}${jour(d.jour)} : ${nombre(d.rejets)}`)}.
            </p>`
          : nothing
      }
      ${r.total ? table({ id: 'rejets', caption: 'Dossiers refusés, du plus récent au plus ancien', columns, rows, multiline: true }) : nothing}`;
  });
}

function indicateurs(v: View): TemplateResult {
  const figures = pending(
    v.formations,
    'des indicateurs',
    ({ total: c }) =>
      html`<ul class="tdb-chiffres" id="chiffres-cles">
        ${COUNTERS.map(
          (k) =>
            html`<li class="tdb-chiffre" data-indicateur=${k}>
              <p class="tdb-chiffre__libelle">${COUNTER_LABELS[k]}</p>
              <p class="tdb-chiffre__valeur" data-valeur>${cell(c[k])}</p>
            </li>`,
        )}
      </ul>`,
  );
  const formations = pending(v.formations, 'des formations', (p) => {
    // Largest formations first; the first ones only until asked (the total covers them all).
    const sorted = [...p.lignes].sort((a, b) => (b.apprenants ?? 0) - (a.apprenants ?? 0));
    const shown = v.toutesFormations ? sorted : sorted.slice(0, FORMATIONS_SHOWN);
    return html`${table({
      id: 'formations',
      caption: `Effectifs par formation au ${jour(platformToday())}${shown.length < sorted.length ? ` : les ${shown.length} plus grandes sur ${sorted.length}` : ''}`,
      columns: [
        {
          label: 'Formation (CFD)',
          value: (r: Ligne) => (r.code === 'total' ? 'Total' : (r.libelle ?? r.code ?? 'Non renseignée')),
        },
        ...counterColumns<Ligne>(),
      ],
      rows: shown,
      total: { code: 'total', libelle: null, ...p.total },
      rowHeader: true,
      empty: 'Aucun apprenant compté.',
    })}
    ${
      sorted.length > FORMATIONS_SHOWN
        ? html`<button
            class="fr-btn fr-btn--secondary fr-btn--sm"
            type="button"
            @click=${() => {
              v.toutesFormations = !v.toutesFormations;
              render();
            }}
          >
            ${v.toutesFormations ? `N’afficher que les ${FORMATIONS_SHOWN} plus grandes` : `Afficher les ${sorted.length} formations`}
          </button>`
        : nothing
    }`;
  });
  return html`${figures}${formations}`;
}

function liste(v: View): TemplateResult {
  const filter = html`<div class="tdb-filtres">
    <div class="fr-select-group">
      <label class="fr-label" for="liste-statut">Statut</label>
      <select
        class="fr-select"
        id="liste-statut"
        @change=${(e: Event) => {
          v.statut = (e.target as HTMLSelectElement).value;
          v.page = 1;
          loadList();
        }}
      >
        ${Object.entries(LIST_FILTERS).map(([k, label]) => html`<option value=${k} ?selected=${v.statut === k}>${label}</option>`)}
      </select>
    </div>
    <div class="fr-input-group">
      <button
        class="fr-btn fr-btn--tertiary fr-icon-download-line fr-btn--icon-left"
        type="button"
        @click=${() =>
          downloadWithToken(
            `/api/v1/apprenants${query({ uai: v.uai, statut: v.statut || undefined, par_page: 5000, format: 'csv' })}`,
            v.session.token,
            'apprenants.csv',
          ).catch((err) => window.alert(refusal(err)))}
      >
        Télécharger la liste (CSV)
      </button>
    </div>
  </div>`;
  const body = pending(v.liste, 'de la liste', (l) => {
    const pages = Math.max(1, Math.ceil(l.total / l.par_page));
    const columns: Column<Apprenant>[] = [
      { label: 'Apprenant', value: (a) => `${a.nom ?? ''} ${a.prenom ?? ''}`.trim() || '—' },
      { label: 'Né(e) le', value: (a) => (a.date_de_naissance ? jour(a.date_de_naissance) : '—') },
      {
        label: 'Formation',
        value: (a) => `${a.formation_cfd ?? '—'}${a.niveau ? ` (niveau ${a.niveau})` : ''}`,
      },
      { label: 'Statut', value: (a) => STATUTS[a.statut] ?? a.statut },
      { label: 'Depuis le', value: (a) => jour(a.statut_depuis) },
    ];
    const goTo = (p: number) => () => {
      v.page = p;
      loadList();
    };
    return html`${table({ id: 'apprenants', caption: `${nombre(l.total)} apprenant${l.total > 1 ? 's' : ''} — page ${l.page} sur ${pages}`, columns, rows: l.apprenants, rowHeader: true, empty: 'Aucun apprenant.' })}
    ${
      pages > 1
        ? html`<nav role="navigation" class="fr-pagination" aria-label="Pages de la liste">
            <ul class="fr-pagination__list">
              <li>
                <button
                  class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label"
                  type="button"
                  ?disabled=${l.page <= 1}
                  @click=${goTo(l.page - 1)}
                >
                  Page précédente
                </button>
              </li>
              <li><span class="fr-pagination__link" aria-current="page">${l.page} / ${pages}</span></li>
              <li>
                <button
                  class="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label"
                  type="button"
                  ?disabled=${l.page >= pages}
                  @click=${goTo(l.page + 1)}
                >
                  Page suivante
                </button>
              </li>
            </ul>
          </nav>`
        : nothing
    }`;
  });
  return html`${filter}${body}`;
}

function render(): void {
  const v = view;
  if (!v) return;
  const choose =
    v.session.scope.length > 1
      ? html`<div class="fr-select-group">
          <label class="fr-label" for="choix-uai">Organisme</label>
          <select
            class="fr-select"
            id="choix-uai"
            @change=${(e: Event) => {
              history.pushState(null, '', query({ uai: (e.target as HTMLSelectElement).value }));
              start(v.session);
            }}
          >
            ${v.session.scope.map((u) => html`<option value=${u} ?selected=${u === v.uai}>${u}</option>`)}
          </select>
        </div>`
      : nothing;
  show(
    html`${sessionBar(PAGE, v.session, () => signIn())}${choose}
      <p class="fr-text--lead">
        ${v.lots && !(v.lots instanceof ApiFailure) && v.lots.nom ? `${v.lots.nom} — ` : ''}UAI ${v.uai}
      </p>
      ${section('titre-transmissions', 'Mes envois', transmissions(v))}
      ${section(
        'titre-rejets',
        'Dossiers refusés, et comment les corriger',
        html`<div id="rejets-section" data-etat=${v.rejets === undefined ? 'chargement' : 'pret'}>
          ${rejets(v)}
        </div>`,
      )}
      ${section('titre-indicateurs', `Mes effectifs au ${jour(platformToday())}`, indicateurs(v))}
      ${section('titre-apprenants', 'Mes apprenants', liste(v))}`,
    v.transmission !== undefined && v.formations !== undefined ? 'pret' : 'chargement',
  );
  if (v.transmission && !(v.transmission instanceof ApiFailure)) {
    const el = document.getElementById('graphique-jours');
    // Every day of the period, zero when nothing was sent (the API lists days with a batch).
    const byDay = new Map(v.transmission.par_jour.map((d) => [d.jour, d]));
    const days = Array.from({ length: 30 }, (_, k) => {
      const d = new Date(`${platformToday()}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() - 29 + k);
      const iso = d.toISOString().slice(0, 10);
      return byDay.get(iso) ?? { jour: iso, acceptes: 0, rejetes: 0 };
    });
    if (el)
      void charts.then(({ drawChart }) =>
        drawChart(
          el,
          'bar',
          days.map((d) => `${d.jour.slice(8, 10)}/${d.jour.slice(5, 7)}`),
          [
            { name: 'Acceptés', values: days.map((d) => d.acceptes) },
            { name: 'Refusés', values: days.map((d) => d.rejetes) },
          ],
          'Dossiers acceptés et refusés par jour.',
          ['#000091', '#ce0500'],
        ),
      );
  }
}

function signIn(error?: string | null): void {
  view = null;
  show(
    signInForm({
      page: PAGE,
      roles: ['cfa'],
      purpose:
        'Ce que votre organisme a transmis, les dossiers refusés et comment les corriger, vos effectifs par statut et par formation, et la liste de vos apprenants. Connectez-vous avec le jeton de votre organisme.',
      error,
      onSession: (s) => start(s),
    }),
  );
}

const existing = loadSession(PAGE);
if (existing) start(existing);
else signIn();
