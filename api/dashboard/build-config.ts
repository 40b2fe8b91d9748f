/** Where the dashboard is built and which pages it has (shared by build.ts and plugin.ts). */
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config';

/** The repository root (this file runs from api/dashboard/ or dist/api/dashboard/). */
export const ROOT = REPO_ROOT;
export const OUT_DIR = path.join(ROOT, 'dist', 'dashboard');

/** The pages: file name (served at /tableau-de-bord/<path>), entry, title, navigation label. */
export const PAGES = [
  { file: 'index.html', path: '', entry: 'public', title: 'Indicateurs publics', nav: 'Indicateurs' },
  {
    file: 'mission-locale.html',
    path: 'mission-locale',
    entry: 'mission-locale',
    title: 'Mission Locale : jeunes à contacter',
    nav: 'Mission Locale',
  },
  { file: 'cfa.html', path: 'cfa', entry: 'cfa', title: 'Mon organisme de formation', nav: 'CFA' },
  {
    file: 'operateur.html',
    path: 'operateur',
    entry: 'operateur',
    title: 'Organismes du territoire',
    nav: 'Opérateur',
  },
] as const;
