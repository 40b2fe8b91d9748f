/** Human progress of long commands, on stderr (stdout stays for results). */
export interface Progress {
  /** A step starts. */
  step(message: string): void;
  /** A step ended well. */
  ok(message: string): void;
  /** Something the user should know, not fatal. */
  warn(message: string): void;
  /** A counter update for a long loop (rate-limited; prints done/total, rate and ETA). */
  count(label: string, done: number, total?: number): void;
}

export function consoleProgress(stream: NodeJS.WritableStream = process.stderr): Progress {
  const start = Date.now();
  const elapsed = () => `${((Date.now() - start) / 1000).toFixed(1)}s`.padStart(7);
  let lastCount = 0;
  const counters = new Map<string, { t0: number }>();
  return {
    step: (m) => stream.write(`${elapsed()}  … ${m}\n`),
    ok: (m) => stream.write(`${elapsed()}  ✓ ${m}\n`),
    warn: (m) => stream.write(`${elapsed()}  ! ${m}\n`),
    count(label, done, total) {
      const now = Date.now();
      const c = counters.get(label) ?? { t0: now };
      counters.set(label, c);
      const finished = total !== undefined && done >= total;
      if (!finished && now - lastCount < 1000) return;
      lastCount = now;
      const rate = done / Math.max(0.001, (now - c.t0) / 1000);
      const eta =
        total !== undefined && rate > 0 && !finished ? `, ~${Math.ceil((total - done) / rate)} s left` : '';
      const of = total !== undefined ? `/${total.toLocaleString('fr-FR')}` : '';
      stream.write(
        `${elapsed()}    ${label}: ${done.toLocaleString('fr-FR')}${of} (${Math.round(rate).toLocaleString('fr-FR')}/s${eta})\n`,
      );
    },
  };
}

/** For tests and library use: prints nothing. */
export const silentProgress: Progress = { step() {}, ok() {}, warn() {}, count() {} };
