/** The alert service's pure rules: urgency order, closing rule, reasons, webhook signatures and backoff. */
import {
  closesAlert,
  closureOf,
  orderScore,
  pourquoi,
  priorityScore,
  supersededBy,
} from '../../streams/alert-inbox/model';
import { compareEventIds, startOfParisDay } from '../../streams/alert-inbox/store';
import { backoffMs, checkWebhookUrl, signPayload, verifySignature } from '../../streams/alert-inbox/webhooks';
import { dayFromIso as d } from '../../streams/status/calendar';
import { makeTransition } from './support';

const base = {
  rqth: false,
  mineur: false,
  rupture_recente: false,
  depuis: d('2025-03-01'),
  created_at: 1_741_950_000_000,
};

describe('urgency order', () => {
  test('priority score: RQTH before minors before a recent rupture', () => {
    expect(priorityScore({ rqth: true, mineur: false, rupture_recente: false })).toBe(4);
    expect(priorityScore({ rqth: false, mineur: true, rupture_recente: true })).toBe(3);
    expect(priorityScore({ rqth: false, mineur: false, rupture_recente: true })).toBe(1);
    expect(priorityScore({ rqth: false, mineur: false, rupture_recente: false })).toBe(0);
  });

  test('sorted-set score: priority, then the day the status began, then the emission second', () => {
    const rqthOld = orderScore({ ...base, rqth: true, depuis: d('2024-01-01') });
    const minorRecent = orderScore({ ...base, mineur: true, rupture_recente: true, depuis: d('2025-03-10') });
    const plainRecent = orderScore({ ...base, depuis: d('2025-03-14') });
    const plainOlder = orderScore({ ...base, depuis: d('2025-02-01') });
    const plainOlderLater = orderScore({
      ...base,
      depuis: d('2025-02-01'),
      created_at: base.created_at + 5000,
    });
    expect([plainOlder, rqthOld, plainRecent, minorRecent, plainOlderLater].sort((a, b) => b - a)).toEqual([
      rqthOld,
      minorRecent,
      plainRecent,
      plainOlderLater,
      plainOlder,
    ]);
    // Exact in a double: distinct inputs give distinct, integral scores.
    expect(
      Number.isSafeInteger(orderScore({ ...base, rqth: true, mineur: true, rupture_recente: true })),
    ).toBe(true);
  });
});

describe('closing rule', () => {
  const alert = { created_at: base.created_at, depuis: d('2025-03-01') };
  test('a transition detected after the alert closes it; one detected before does not', () => {
    expect(closesAlert({ detected_at: alert.created_at + 1, effective_date: d('2024-09-02') }, alert)).toBe(
      true,
    );
    expect(closesAlert({ detected_at: alert.created_at - 1, effective_date: d('2025-03-10') }, alert)).toBe(
      false,
    );
  });
  test('same instant (same batch or fixed clock): later when effective on or after the status start', () => {
    expect(closesAlert({ detected_at: alert.created_at, effective_date: d('2025-03-10') }, alert)).toBe(true);
    expect(closesAlert({ detected_at: alert.created_at, effective_date: d('2025-03-01') }, alert)).toBe(true);
    expect(closesAlert({ detected_at: alert.created_at, effective_date: d('2024-09-02') }, alert)).toBe(
      false,
    );
  });
  test('only a new contract or the end of training closes, with the reason the advisor reads', () => {
    const rk = 'X:2024-2025:1';
    expect(
      closureOf(makeTransition({ record_key: rk, to: 'APPRENTI', effective_date: d('2025-03-10') })),
    ).toMatchObject({
      code: 'NOUVEAU_CONTRAT',
      raison: 'nouveau contrat signé, en cours depuis le 10/03/2025',
      effective_date: d('2025-03-10'),
    });
    expect(
      closureOf(makeTransition({ record_key: rk, to: 'FIN_DE_FORMATION', effective_date: d('2025-06-30') })),
    ).toMatchObject({
      code: 'FIN_DE_FORMATION',
      raison: 'formation terminée le 30/06/2025',
    });
    for (const to of ['INSCRIT', 'RUPTURANT', 'ABANDON'] as const)
      expect(closureOf(makeTransition({ record_key: rk, to, effective_date: d('2025-03-10') }))).toBeNull();
  });
  test('why alerted, and why superseded', () => {
    expect(pourquoi({ motif: 'RUPTURE', depuis: d('2025-02-03') })).toBe(
      "rupture du contrat d'apprentissage, sans nouveau contrat depuis le 03/02/2025",
    );
    expect(pourquoi({ motif: 'INSCRIT_SANS_CONTRAT', depuis: d('2024-09-02') })).toContain(
      'depuis le 02/09/2024',
    );
    expect(
      supersededBy({ alert_id: 'a'.repeat(32), motif: 'ABANDON', depuis: d('2025-08-30'), created_at: 5 }),
    ).toEqual({
      code: 'REMPLACEE',
      raison: 'remplacée par une nouvelle alerte (abandon depuis le 30/08/2025)',
      at: 5,
      par: 'a'.repeat(32),
    });
  });
});

describe('webhooks', () => {
  const secret = 'whsec_test';
  const body = JSON.stringify({ evenement_id: '1-0', alerte: { nom: 'Martin' } });
  test('the signature verifies over the exact body, with the right secret, recently', () => {
    const header = signPayload(secret, 1_700_000_000, body);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, header, body, 1_700_000_010)).toBe(true);
    expect(verifySignature('whsec_other', header, body, 1_700_000_010)).toBe(false);
    expect(verifySignature(secret, header, body.replace('Martin', 'Marti'), 1_700_000_010)).toBe(false);
    expect(verifySignature(secret, header, body, 1_700_000_000 + 301)).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, 1_700_000_000)).toBe(false);
  });
  test('exponential backoff, capped at one hour', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(1000, n))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(1000, 30)).toBe(3_600_000);
  });
  test('https only, except to the loopback', () => {
    expect(checkWebhookUrl('https://crm.example.org/hook')).toBe('https://crm.example.org/hook');
    expect(checkWebhookUrl('http://127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080/x');
    expect(() => checkWebhookUrl('http://crm.example.org/hook')).toThrow(/https attendu/);
    expect(() => checkWebhookUrl('pas une url')).toThrow(/n'est pas une URL/);
  });
});

test('journal ids compare numerically, not as text', () => {
  expect(compareEventIds('999-0', '1000-0')).toBeLessThan(0);
  expect(compareEventIds('1000-10', '1000-9')).toBeGreaterThan(0);
  expect(compareEventIds('1000-1', '1000-1')).toBe(0);
});

test('the first instant of a day in Europe/Paris, winter and summer time', () => {
  expect(new Date(startOfParisDay(d('2025-03-15'))).toISOString()).toBe('2025-03-14T23:00:00.000Z');
  expect(new Date(startOfParisDay(d('2025-07-01'))).toISOString()).toBe('2025-06-30T22:00:00.000Z');
  // The day DST starts (2025-03-30) begins at 00:00 CET.
  expect(new Date(startOfParisDay(d('2025-03-30'))).toISOString()).toBe('2025-03-29T23:00:00.000Z');
  expect(new Date(startOfParisDay(d('2025-10-26'))).toISOString()).toBe('2025-10-25T22:00:00.000Z');
});
