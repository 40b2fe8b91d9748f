/**
 * The Mission Locale page (mission_locale token; admin chooses the Mission Locale): the young
 * people to contact, most urgent first (the order of GET /missions-locales/{id}/alertes), kept up
 * to date live by the SSE stream /alertes/flux; one young person's detail (why alerted, contacts,
 * training, organisation, history) with the follow-up form (situation, comment; PATCH) and its
 * history; the synthesis (/synthese); exports of the list and the synthesis (CSV, XLSX).
 *
 * The stream is read with fetch (@microsoft/fetch-event-source), not EventSource: EventSource
 * cannot send the Authorization header, and a token in the URL would end up in logs and history.
 * The stream starts after the list's `dernier_evenement` (nothing missed between the two) and
 * resumes with Last-Event-ID after a cut; on each event the list and the synthesis are read again
 * (coalesced), so their order and counts stay the API's.
 */
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { html, nothing, type TemplateResult } from 'lit-html';
import { SITUATION_LIBELLES, SITUATIONS, type Situation } from '../../../../streams/alert-inbox/model';
import { ApiFailure, downloadWithToken, getJson, query, sendJson } from '../common/api';
import { instant, jour, nombre } from '../common/format';
import { announce, show } from '../common/page';
import { loadSession, refusal, sessionBar, signInForm, type Session } from '../common/session';
import { alert, table, type Column } from '../common/table';

const PAGE = 'mission-locale';

interface Alerte {
  alerte_id: string;
  etat: 'ouverte' | 'fermee';
  motif: string;
  pourquoi: string;
  statut: string;
  statut_depuis: string;
  alerte_le: string;
  priorite: number;
  rqth: boolean;
  mineur: boolean;
  rupture_recente: boolean;
  nom: string | null;
  prenom: string | null;
  date_de_naissance: string | null;
  age: number | null;
  telephone: string | null;
  email: string | null;
  email_responsable: string | null;
  adresse: string | null;
  code_postal: string | null;
  commune: string | null;
  departement: string | null;
  formation_cfd: string | null;
  formation_libelle: string | null;
  organisme_uai: string;
  organisme_siret: string;
  organisme_nom: string | null;
  mission_locale_nom: string | null;
  situation: Situation;
  situation_libelle: string;
  situation_le: string | null;
  situation_par: string | null;
  commentaire: string | null;
  fermee_le: string | null;
  raison_fermeture: string | null;
}
interface Liste {
  total: number;
  dernier_evenement: string;
  alertes: Alerte[];
}
interface Historique {
  type: string;
  at: string;
  par: string;
  situation_libelle?: string;
  commentaire?: string | null;
  raison_fermeture?: string;
}
interface Synthese {
  ouvertes: number;
  fermees: number;
  par_situation: { situation: string; libelle: string; total: number; prioritaires: number }[];
  total: { total: number; prioritaires: number; rqth: number; mineurs: number; ruptures_recentes: number };
  par_motif: Record<string, number>;
}

const MOTIFS: Record<string, string> = {
  RUPTURE: 'Rupture de contrat',
  ABANDON: 'Abandon',
  INSCRIT_SANS_CONTRAT: 'Sans contrat',
};

interface View {
  session: Session;
  ml: string;
  liste?: Liste | ApiFailure;
  synthese?: Synthese | ApiFailure;
  choisie: string | null;
  detail?: { alerte: Alerte; historique: Historique[] } | ApiFailure;
  flux: 'connexion' | 'ouvert' | 'coupe';
  nouvelles: Set<string>;
  formMessage?: { kind: 'success' | 'error'; text: string };
}

let view: View | null = null;
let stream: AbortController | null = null;
const seen = new Set<string>();

function start(session: Session, error?: string): void {
  const ml =
    session.role === 'mission_locale'
      ? session.scope[0]!
      : (new URLSearchParams(location.search).get('ml') ?? '');
  if (session.role === 'admin' && !ml) return chooseMl(session);
  view = {
    session,
    ml,
    choisie: new URLSearchParams(location.search).get('alerte'),
    flux: 'connexion',
    nouvelles: new Set(),
  };
  if (error) view.formMessage = { kind: 'error', text: error };
  void reload(true);
}

function chooseMl(session: Session): void {
  show(
    html`${sessionBar(PAGE, session, signIn)}
      <form
        @submit=${(e: Event) => {
          e.preventDefault();
          const id = String(new FormData(e.target as HTMLFormElement).get('ml') ?? '').trim();
          history.pushState(null, '', query({ ml: id }));
          start(session);
        }}
      >
        <div class="fr-input-group">
          <label class="fr-label" for="ml"
            >Identifiant de la Mission Locale <span class="fr-hint-text">ex. ML-75-PARIS</span></label
          >
          <input class="fr-input" id="ml" name="ml" required pattern="[A-Za-z0-9_-]{1,64}" />
        </div>
        <button class="fr-btn" type="submit">Afficher ses alertes</button>
      </form>`,
  );
}

let pending: Promise<void> | null = null;
let again = false;
/** Reads the list and the synthesis again (one at a time; a request during one runs once after). */
function reload(first = false): Promise<void> {
  if (pending) {
    again = true;
    return pending;
  }
  pending = (async () => {
    do {
      again = false;
      const v = view!;
      const base = `/api/v1/missions-locales/${encodeURIComponent(v.ml)}`;
      const [liste, synthese] = await Promise.all([
        getJson<Liste>(`${base}/alertes${query({ par_page: 200 })}`, v.session.token).catch(
          (e: ApiFailure) => e,
        ),
        getJson<Synthese>(`${base}/synthese`, v.session.token).catch((e: ApiFailure) => e),
      ]);
      if (liste instanceof ApiFailure && liste.status === 401) return signIn(refusal(liste));
      if (!(liste instanceof ApiFailure)) {
        for (const a of liste.alertes) {
          if (!first && !seen.has(a.alerte_id)) {
            v.nouvelles.add(a.alerte_id);
            announce(`Nouvelle alerte : ${a.prenom ?? ''} ${a.nom ?? ''}, ${a.pourquoi}`);
          }
          seen.add(a.alerte_id);
        }
      }
      v.liste = liste;
      v.synthese = synthese;
      if (first && !(liste instanceof ApiFailure)) connect(v, liste.dernier_evenement);
      if (v.choisie) await loadDetail(v.choisie, false);
      render();
      first = false;
    } while (again);
  })().finally(() => (pending = null));
  return pending;
}

function connect(v: View, after: string): void {
  stream?.abort();
  stream = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  void fetchEventSource(`/api/v1/missions-locales/${encodeURIComponent(v.ml)}/alertes/flux`, {
    headers: { authorization: `Bearer ${v.session.token}`, ...(after ? { 'last-event-id': after } : {}) },
    signal: stream.signal,
    openWhenHidden: true,
    async onopen(res) {
      if (res.ok) {
        v.flux = 'ouvert';
        render();
        return;
      }
      let message = `le flux a répondu ${res.status}`;
      try {
        message = ((await res.json()) as { message?: string }).message ?? message;
      } catch {
        // not the API's JSON body
      }
      throw new ApiFailure(res.status, 'FLUX', message);
    },
    onmessage(ev) {
      if (!ev.event || ev.event === 'message') return;
      // Several events in a burst: one reload.
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 150);
    },
    onclose() {
      v.flux = 'coupe';
      render();
      throw new Error('flux fermé par le serveur');
    },
    onerror(err) {
      v.flux = 'coupe';
      render();
      if (err instanceof ApiFailure && (err.status === 401 || err.status === 403)) {
        if (err.status === 401) signIn(refusal(err));
        throw err; // no retry
      }
      return 2000; // retry (with Last-Event-ID) in 2 s
    },
  }).catch(() => undefined);
}

async function loadDetail(id: string, draw = true): Promise<void> {
  const v = view!;
  v.choisie = id;
  if (draw) {
    v.detail = undefined;
    render();
  }
  v.detail = await getJson<{ alerte: Alerte; historique: Historique[] }>(
    `/api/v1/missions-locales/${encodeURIComponent(v.ml)}/alertes/${id}`,
    v.session.token,
  ).catch((e: ApiFailure) => e);
  if (draw) render();
}

function choose(id: string): void {
  const v = view!;
  v.formMessage = undefined;
  v.nouvelles.delete(id);
  history.replaceState(null, '', query({ ml: v.session.role === 'admin' ? v.ml : undefined, alerte: id }));
  void loadDetail(id).then(() => document.getElementById('titre-detail')?.focus());
}

async function saveFollowUp(e: Event): Promise<void> {
  e.preventDefault();
  const v = view!;
  const form = new FormData(e.target as HTMLFormElement);
  const situation = String(form.get('situation')) as Situation;
  const commentaire = String(form.get('commentaire') ?? '').trim();
  try {
    await sendJson(
      'PATCH',
      `/api/v1/missions-locales/${encodeURIComponent(v.ml)}/alertes/${v.choisie}`,
      commentaire ? { situation, commentaire } : { situation },
      v.session.token,
    );
    v.formMessage = { kind: 'success', text: `Suivi enregistré : ${SITUATION_LIBELLES[situation]}.` };
    (e.target as HTMLFormElement).reset();
    await loadDetail(v.choisie!, false);
    await reload();
  } catch (err) {
    v.formMessage = { kind: 'error', text: refusal(err) };
    render();
  }
}

// ------------------------------------------------------------------------------------------------

const badges = (a: Alerte) =>
  html`${a.rqth ? html`<p class="fr-badge fr-badge--sm fr-badge--purple-glycine fr-mr-1v">RQTH</p>` : nothing}${
    a.mineur ? html`<p class="fr-badge fr-badge--sm fr-badge--warning fr-mr-1v">Mineur</p>` : nothing
  }${a.rupture_recente ? html`<p class="fr-badge fr-badge--sm fr-badge--error fr-mr-1v">Rupture récente</p>` : nothing}`;

function listSection(v: View): TemplateResult {
  if (!v.liste) return html`<p>Chargement des alertes…</p>`;
  if (v.liste instanceof ApiFailure) return alert('error', refusal(v.liste), 'Alertes indisponibles');
  const columns: Column<Alerte>[] = [
    {
      label: 'Jeune',
      value: (a) =>
        html`<button
            type="button"
            class="fr-link"
            aria-describedby=${`motif-${a.alerte_id}`}
            @click=${() => choose(a.alerte_id)}
          >
            ${a.prenom ?? '?'} ${a.nom ?? ''}</button
          >${v.nouvelles.has(a.alerte_id) ? html` <p class="fr-badge fr-badge--sm fr-badge--new">Nouveau</p>` : nothing}
          <br /><span class="fr-text--xs"
            >${a.age !== null ? `${a.age} ans` : ''}${a.commune ? ` · ${a.commune}` : ''}</span
          >`,
    },
    {
      label: 'Pourquoi',
      value: (a) =>
        html`<span id=${`motif-${a.alerte_id}`}
            >${MOTIFS[a.motif] ?? a.motif} depuis le ${jour(a.statut_depuis)}</span
          ><br />${badges(a)}`,
    },
    { label: 'Situation', value: (a) => a.situation_libelle },
  ];
  return html`${table({
    id: 'alertes',
    caption: `${nombre(v.liste.total)} jeune${v.liste.total > 1 ? 's' : ''} à suivre, du plus urgent au plus récent`,
    columns,
    rows: v.liste.alertes,
    rowHeader: true,
    rowClass: (a) =>
      `${a.alerte_id === v.choisie ? 'tdb-ligne-choisie' : ''} ${v.nouvelles.has(a.alerte_id) ? 'tdb-nouveau' : ''}`,
    empty: 'Aucune alerte ouverte pour votre Mission Locale.',
    multiline: true,
  })}
  ${
    v.liste.total > v.liste.alertes.length
      ? html`<p class="fr-text--sm">
          ${v.liste.alertes.length} premières alertes sur ${v.liste.total} : l’export les contient toutes.
        </p>`
      : nothing
  }`;
}

const contact = (label: string, value: string | null, href?: string) =>
  value
    ? html`<dt class="fr-text--bold fr-mb-0">${label}</dt>
        <dd class="fr-ml-0 fr-mb-1w">${href ? html`<a href=${href}>${value}</a>` : value}</dd>`
    : nothing;

function detailSection(v: View): TemplateResult {
  if (!v.choisie)
    return html`<p>
      Choisissez un jeune dans la liste pour voir pourquoi il est signalé, ses contacts, sa formation et son
      suivi.
    </p>`;
  if (!v.detail) return html`<p>Chargement…</p>`;
  if (v.detail instanceof ApiFailure) return alert('error', refusal(v.detail));
  const { alerte: a, historique } = v.detail;
  return html`<h2 class="fr-h4" id="titre-detail" tabindex="-1">${a.prenom ?? ''} ${a.nom ?? ''}</h2>
    <p class="fr-mb-1w">${badges(a)}</p>
    <h3 class="fr-h6 fr-mb-1w">Pourquoi cette alerte</h3>
    <p id="detail-pourquoi">${a.pourquoi}</p>
    <h3 class="fr-h6 fr-mb-1w">Contacts</h3>
    <dl>
      ${contact('Téléphone', a.telephone, a.telephone ? `tel:${a.telephone.replace(/\s/g, '')}` : undefined)}
      ${contact('Courriel', a.email, a.email ? `mailto:${a.email}` : undefined)}
      ${contact('Courriel du responsable légal', a.email_responsable, a.email_responsable ? `mailto:${a.email_responsable}` : undefined)}
      ${contact('Adresse', [a.adresse, a.code_postal, a.commune].filter(Boolean).join(' ') || null)}
      ${contact('Né(e) le', a.date_de_naissance ? `${jour(a.date_de_naissance)}${a.age !== null ? ` (${a.age} ans)` : ''}` : null)}
    </dl>
    <h3 class="fr-h6 fr-mb-1w">Formation</h3>
    <p>
      ${a.formation_libelle ?? 'Formation'}${a.formation_cfd ? ` (CFD ${a.formation_cfd})` : ''}<br />
      ${a.organisme_nom ?? 'Organisme'} — UAI ${a.organisme_uai}
    </p>
    <h3 class="fr-h6 fr-mb-1w">Suivi</h3>
    ${v.formMessage ? alert(v.formMessage.kind, v.formMessage.text) : nothing}
    ${
      a.etat === 'ouverte'
        ? html`<form id="suivi" @submit=${saveFollowUp}>
            <div class="fr-select-group">
              <label class="fr-label" for="situation">Situation</label>
              <select class="fr-select" id="situation" name="situation" required>
                ${SITUATIONS.map((s) => html`<option value=${s} ?selected=${s === a.situation}>${SITUATION_LIBELLES[s]}</option>`)}
              </select>
            </div>
            <div class="fr-input-group">
              <label class="fr-label" for="commentaire"
                >Commentaire
                <span class="fr-hint-text"
                  >obligatoire pour « autre » ; 2 000 caractères au plus ; chiffré au repos</span
                ></label
              >
              <textarea
                class="fr-input"
                id="commentaire"
                name="commentaire"
                rows="3"
                maxlength="2000"
              ></textarea>
            </div>
            <button class="fr-btn" type="submit">Enregistrer le suivi</button>
          </form>`
        : html`<p>Alerte fermée le ${instant(a.fermee_le)} : ${a.raison_fermeture}.</p>`
    }
    <h3 class="fr-h6 fr-mt-3w fr-mb-1w">Historique</h3>
    <ul class="tdb-historique" id="historique">
      ${[...historique].reverse().map(
        (h) =>
          html`<li>
            <span class="fr-text--sm">${instant(h.at)} — ${h.par}</span><br />
            ${
              h.type === 'creation'
                ? 'Alerte créée'
                : h.type === 'suivi'
                  ? html`Situation :
                      <strong>${h.situation_libelle}</strong
                      >${h.commentaire ? html` — « ${h.commentaire} »` : nothing}`
                  : h.type === 'reprise'
                    ? html`Reprise de l’alerte précédente (${h.situation_libelle})`
                    : html`Fermée : ${h.raison_fermeture}`
            }
          </li>`,
      )}
    </ul>`;
}

function syntheseSection(v: View): TemplateResult {
  if (!v.synthese) return html`<p>Chargement de la synthèse…</p>`;
  if (v.synthese instanceof ApiFailure) return alert('error', refusal(v.synthese));
  const s = v.synthese;
  const base = `/api/v1/missions-locales/${encodeURIComponent(v.ml)}`;
  const dl = (path: string, name: string) => () =>
    downloadWithToken(path, v.session.token, name).catch((err) => {
      v.formMessage = { kind: 'error', text: refusal(err) };
      render();
    });
  return html`<ul class="tdb-chiffres" id="synthese">
      <li class="tdb-chiffre">
        <p class="tdb-chiffre__libelle">Alertes ouvertes</p>
        <p class="tdb-chiffre__valeur">${nombre(s.ouvertes)}</p>
        <p class="tdb-chiffre__evolution">dont ${nombre(s.total.prioritaires)} prioritaires</p>
      </li>
      ${Object.entries(MOTIFS).map(
        ([k, label]) =>
          html`<li class="tdb-chiffre">
            <p class="tdb-chiffre__libelle">${label}</p>
            <p class="tdb-chiffre__valeur">${nombre(s.par_motif[k] ?? 0)}</p>
          </li>`,
      )}
      <li class="tdb-chiffre">
        <p class="tdb-chiffre__libelle">À contacter</p>
        <p class="tdb-chiffre__valeur">
          ${nombre(s.par_situation.find((p) => p.situation === 'a_contacter')?.total ?? 0)}
        </p>
      </li>
    </ul>
    <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
      <li>
        <button
          class="fr-btn fr-btn--tertiary fr-icon-download-line"
          type="button"
          @click=${dl(`${base}/alertes?format=csv`, 'alertes.csv')}
        >
          Exporter les alertes (CSV)
        </button>
      </li>
      <li>
        <button
          class="fr-btn fr-btn--tertiary fr-icon-download-line"
          type="button"
          @click=${dl(`${base}/alertes?format=xlsx`, 'alertes.xlsx')}
        >
          Exporter les alertes (XLSX)
        </button>
      </li>
      <li>
        <button
          class="fr-btn fr-btn--tertiary fr-icon-download-line"
          type="button"
          @click=${dl(`${base}/synthese?format=xlsx`, 'synthese.xlsx')}
        >
          Exporter la synthèse (XLSX)
        </button>
      </li>
    </ul>`;
}

function render(): void {
  const v = view;
  if (!v) return;
  const fluxText =
    v.flux === 'ouvert'
      ? 'Liste à jour en direct : les nouvelles alertes apparaissent sans recharger la page.'
      : v.flux === 'connexion'
        ? 'Connexion au flux en direct…'
        : 'Flux en direct interrompu : nouvelle tentative dans quelques secondes.';
  show(
    html`${sessionBar(PAGE, v.session, () => signIn())}
      <p class="fr-text--lead">
        ${
          v.liste && !(v.liste instanceof ApiFailure) && v.liste.alertes[0]?.mission_locale_nom
            ? v.liste.alertes[0].mission_locale_nom
            : v.ml
        }
      </p>
      ${syntheseSection(v)}
      <p
        class=${`fr-badge fr-mb-2w ${v.flux === 'ouvert' ? 'fr-badge--success' : 'fr-badge--info'}`}
        id="etat-flux"
        data-flux=${v.flux}
      >
        ${fluxText}
      </p>
      <div class="tdb-ml">
        <section aria-labelledby="titre-liste">
          <h2 class="fr-h4" id="titre-liste">Jeunes à contacter</h2>
          ${listSection(v)}
        </section>
        <section class="tdb-ml__detail" aria-label="Détail du jeune choisi" id="detail">
          ${detailSection(v)}
        </section>
      </div>`,
    v.liste ? 'pret' : 'chargement',
  );
}

function signIn(error?: string | null): void {
  stream?.abort();
  view = null;
  seen.clear();
  show(
    signInForm({
      page: PAGE,
      roles: ['mission_locale', 'admin'],
      purpose:
        'Les jeunes de votre territoire qui ont perdu leur contrat d’apprentissage, abandonné leur formation ou restent sans contrat, du plus urgent au plus récent, mis à jour en direct. Connectez-vous avec le jeton de votre Mission Locale.',
      error,
      onSession: (s) => start(s),
    }),
  );
}

const existing = loadSession(PAGE);
if (existing) start(existing);
else signIn();
