/**
 * Cell keys and keyed random rounding of public counts (docs/statistical-disclosure-control.md,
 * rules 4 and 5). Pure: numbers and a secret in, numbers out.
 *
 * The cell-key method (ABS TableBuilder; the method Eurostat's census 2021 guidelines recommend)
 * draws the perturbation of a cell from a key that depends on *who* is in the cell, not on how the
 * request named it, so the same cell gets the same published value in every answer (no averaging
 * of repeated draws). Here the key is that of the **population** (every learner counted at the
 * date, whatever their status): the sum of a hash of each member's record key, computed by
 * ClickHouse (api/indicateurs/disclosure-queries.ts), then made unpredictable with an HMAC under a
 * secret. Keying on the population rather than on the status's own contributors matters: two
 * populations that differ by one learner then get independent draws for every counter, so their
 * difference does not show which counter that learner is in (with per-status contributor keys, the
 * three counters the learner is not in would be identical in both answers, and the fourth would
 * point at her).
 *
 * The perturbation is unbiased random rounding to base 5 (Statistics Canada's census rule, here
 * with a consistent key instead of a fresh draw per table): x = 5q + r is published 5q + 5 with
 * probability r / 5 and 5q otherwise; multiples of 5 (and 0) are exact. A published 0 therefore
 * means 0 to 4, and any published value v means v − 4 … v + 4.
 */
import { createHmac } from 'node:crypto';

/** Base of the random rounding of every public count. */
export const ROUNDING_BASE = 5;

const TWO_32 = 2n ** 32n;

/**
 * The secret of the cell keys, derived from the platform's data key (infra/secrets.ts) so that it
 * is as stable as that key: changing it re-draws every public cell, which gives an attacker a
 * second independent draw of each (docs/statistical-disclosure-control.md, "Secret").
 */
export function cellKeySecret(dataKey: Buffer): Buffer {
  return createHmac('sha256', dataKey).update('tdb/secret-statistique/cle-de-cellule/v1').digest();
}

/** The population key: the members' hash sum (a signed 64-bit sum from ClickHouse) modulo 2^32. */
export function populationKey(hashSum: string | number | bigint): number {
  const s = typeof hashSum === 'bigint' ? hashSum : BigInt(hashSum);
  return Number(((s % TWO_32) + TWO_32) % TWO_32);
}

/** A uniform number in [0, 1) for one counter of one population: HMAC(secret, key | counter). */
export function uniformOf(secret: Buffer, key: number, counter: string): number {
  const d = createHmac('sha256', secret).update(`${key}|${counter}`).digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * `x` rounded to a multiple of `base`, up with probability (x mod base) / base as decided by `u`.
 * `population` bounds x (x ≤ population): a rounding up that would prove x = population (its
 * lower bound, the up value − base + 1, reaching the population) is turned down, so that no
 * published count ever proves that every member of a population is in one status.
 */
export function randomRound(x: number, population: number, u: number, base = ROUNDING_BASE): number {
  const r = x % base;
  if (r === 0) return x;
  const down = x - r;
  const up = down + base;
  if (u < r / base && up - (base - 1) < population) return up;
  return down;
}

/** The values a count published as `v` may have been (the attacker's view): [v − base + 1, v + base − 1], ≥ 0. */
export function preimage(v: number, base = ROUNDING_BASE): { min: number; max: number } {
  return { min: Math.max(0, v - base + 1), max: v + base - 1 };
}

/**
 * Whether `v` is a value that publishing `x` in a population of `population` can give (for some
 * key): the two neighbouring multiples of the base, less the up value refused by randomRound.
 */
export function canPublish(v: number, x: number, population: number, base = ROUNDING_BASE): boolean {
  const r = x % base;
  if (r === 0) return v === x;
  const down = x - r;
  if (v === down) return true;
  return v === down + base && down + 1 < population;
}
