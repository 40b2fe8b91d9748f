/**
 * Structural validation of one v3 item with ajv against schemas/dossier-apprenant-v3.schema.ts
 * (required fields, JSON types, lengths). Formats and check digits are the normalisers' job
 * (normalise.ts), which add their own codes. Every error names the v3 field, in French.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { dossierApprenantV3Schema } from '../../schemas/dossier-apprenant-v3.schema';
import type { ValidationIssue } from './issues';

const ajv = new Ajv({ allErrors: true, strict: false });
const validateV3 = ajv.compile(dossierApprenantV3Schema);

const TYPE_FR: Record<string, string> = {
  string: 'texte',
  integer: 'nombre entier',
  number: 'nombre',
  boolean: 'booléen',
  null: 'null',
  object: 'objet',
  array: 'tableau',
};

function fieldOf(e: ErrorObject): string {
  if (e.keyword === 'required') return String((e.params as { missingProperty: string }).missingProperty);
  return e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(dossier)';
}

function issueOf(e: ErrorObject): ValidationIssue {
  const path = fieldOf(e);
  switch (e.keyword) {
    case 'required':
      return { code: 'CHAMP_REQUIS', path, message: `${path} : champ requis manquant` };
    case 'type': {
      const types = ([] as string[]).concat((e.params as { type: string | string[] }).type);
      const expected = types
        .filter((t) => t !== 'null')
        .map((t) => TYPE_FR[t] ?? t)
        .join(' ou ');
      if (path === '(dossier)')
        return { code: 'DOSSIER_NON_OBJET', path, message: 'chaque dossier doit être un objet JSON' };
      return { code: 'TYPE_INVALIDE', path, message: `${path} : ${expected} attendu` };
    }
    case 'maxLength':
      return {
        code: 'TEXTE_TROP_LONG',
        path,
        message: `${path} : ${(e.params as { limit: number }).limit} caractères au plus`,
      };
    case 'minLength':
      return { code: 'CHAMP_REQUIS', path, message: `${path} : champ requis vide` };
    default:
      return { code: 'TYPE_INVALIDE', path, message: `${path} : ${e.message ?? 'valeur invalide'}` };
  }
}

/** The structural errors of `item` (empty when it matches the schema). */
export function validateStructure(item: unknown): ValidationIssue[] {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return [
      { code: 'DOSSIER_NON_OBJET', path: '(dossier)', message: 'chaque dossier doit être un objet JSON' },
    ];
  }
  if (validateV3(item)) return [];
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of validateV3.errors ?? []) {
    const issue = issueOf(e);
    if (seen.has(issue.path)) continue; // one error per field (a multi-type mismatch reports once)
    seen.add(issue.path);
    issues.push(issue);
  }
  return issues;
}
