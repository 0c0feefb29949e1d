/** Statistics for the measurement protocol: medians, CV, paired ratios, confidence intervals, verdicts. */
import { mean, median as ssMedian, sampleStandardDeviation } from 'simple-statistics';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export function median(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : ssMedian([...xs]);
}

/** Coefficient of variation (sample standard deviation / mean); null with fewer than two values. */
export function coefficientOfVariation(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean([...xs]);
  return m === 0 ? null : sampleStandardDeviation([...xs]) / m;
}

/**
 * Paired ratios a[i] / b[i] for the rounds where both sides have a value (same round,
 * adjacent runs), as the protocol asks; the median of these is the quoted ratio.
 */
export function pairedRatios(a: readonly (number | null)[], b: readonly (number | null)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x != null && y != null && y > 0) out.push(x / y);
  }
  return out;
}

export function medianPairedRatio(a: readonly (number | null)[], b: readonly (number | null)[]): number | null {
  return median(pairedRatios(a, b));
}

/** A paired ratio with its confidence interval. */
export interface RatioEstimate {
  /** Rounds where both sides have a value. */
  n: number;
  /** Median of the per-round ratios a/b (the quoted figure); null with no paired round. */
  ratio: number | null;
  /** 95 % interval of the ratio: null with fewer than two paired rounds. */
  ci: [number, number] | null;
}

/**
 * Confidence interval of a ratio from its per-round values: the t-interval of the log-ratios,
 * mean(log r) ± t(1 − (1 − level)/2, n − 1) · sd(log r)/√n, exponentiated. Null with fewer than
 * two ratios (no spread to estimate).
 */
export function logRatioInterval(ratios: readonly number[], level = 0.95): [number, number] | null {
  const logs = ratios.filter((r) => r > 0 && Number.isFinite(r)).map(Math.log);
  const n = logs.length;
  if (n < 2) return null;
  const m = mean(logs);
  const half = tQuantile(1 - (1 - level) / 2, n - 1) * (sampleStandardDeviation(logs) / Math.sqrt(n));
  return [Math.exp(m - half), Math.exp(m + half)];
}

/**
 * The protocol's ratio of a to b: per-round ratios over the rounds where both ran (failed
 * rounds drop out of the pairing), their median as the figure, and the 95 % interval of
 * their log-ratios.
 */
export function pairedRatioEstimate(
  a: readonly (number | null)[],
  b: readonly (number | null)[],
  level = 0.95,
): RatioEstimate {
  const rs = pairedRatios(a, b);
  return { n: rs.length, ratio: median(rs), ci: logRatioInterval(rs, level) };
}

/**
 * The unpaired ratio of a to b, when the two sides were not measured in the same rounds: the
 * ratio of their medians as the figure, and the Welch t-interval of the difference of their
 * mean log values (unequal variances, Welch–Satterthwaite degrees of freedom), exponentiated.
 * The interval is null unless both sides have at least two values. `n` is the number of values
 * on the smaller side.
 */
export function unpairedRatioEstimate(a: readonly number[], b: readonly number[], level = 0.95): RatioEstimate {
  const la = a.filter((x) => x > 0 && Number.isFinite(x)).map(Math.log);
  const lb = b.filter((x) => x > 0 && Number.isFinite(x)).map(Math.log);
  const ma = median(a);
  const mb = median(b);
  const ratio = ma != null && mb != null && mb > 0 ? ma / mb : null;
  const n = Math.min(la.length, lb.length);
  if (la.length < 2 || lb.length < 2) return { n, ratio, ci: null };
  const va = sampleStandardDeviation(la) ** 2 / la.length;
  const vb = sampleStandardDeviation(lb) ** 2 / lb.length;
  const d = mean(la) - mean(lb);
  const se = Math.sqrt(va + vb);
  if (se === 0) return { n, ratio, ci: [Math.exp(d), Math.exp(d)] };
  const df = (va + vb) ** 2 / (va ** 2 / (la.length - 1) + vb ** 2 / (lb.length - 1));
  const half = tQuantile(1 - (1 - level) / 2, df) * se;
  return { n, ratio, ci: [Math.exp(d - half), Math.exp(d + half)] };
}

/** True when the interval lies wholly below 1.0 (a is slower than b). */
export function excludesOneBelow(ci: readonly [number, number] | null): boolean {
  return ci != null && ci[1] < 1;
}

/** True when the interval lies wholly above 1.0 (a is faster than b). */
export function excludesOneAbove(ci: readonly [number, number] | null): boolean {
  return ci != null && ci[0] > 1;
}

/** True when the interval contains 1.0 (no evidence of a difference). */
export function includesOne(ci: readonly [number, number] | null): boolean {
  return ci != null && ci[0] <= 1 && ci[1] >= 1;
}

export interface PairedComparison {
  n: number;
  meanA: number;
  meanB: number;
  medianA: number;
  medianB: number;
  /** Mean of the per-round relative differences (b/a - 1), in percent. */
  deltaPct: number;
  /** 95 % confidence interval of deltaPct (t-distribution, n - 1 degrees of freedom). */
  ciLowPct: number;
  ciHighPct: number;
}

/**
 * Compares side B against side A over paired rounds (higher is better, e.g. M ops/s).
 * Each round contributes d = b/a - 1; the interval is mean(d) ± t(0.975, n-1) · sd(d)/√n.
 */
export function comparePaired(a: readonly (number | null)[], b: readonly (number | null)[]): PairedComparison | null {
  const pa: number[] = [];
  const pb: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x != null && y != null && x > 0) {
      pa.push(x);
      pb.push(y);
    }
  }
  const n = pa.length;
  if (n === 0) return null;
  const d = pa.map((x, i) => (pb[i]! / x - 1) * 100);
  const dm = mean(d);
  let half = Number.POSITIVE_INFINITY;
  if (n >= 2) half = tQuantile(0.975, n - 1) * (sampleStandardDeviation(d) / Math.sqrt(n));
  return {
    n,
    meanA: mean(pa),
    meanB: mean(pb),
    medianA: ssMedian(pa),
    medianB: ssMedian(pb),
    deltaPct: dm,
    ciLowPct: dm - half,
    ciHighPct: dm + half,
  };
}

export type Verdict = 'GO' | 'NO-GO' | 'NEUTRAL';

/** Minimum gain for GO: +1.0 % for run-time (env) knobs, +0.5 % for build-time (const) knobs. */
export function goThresholdPct(kind: 'env' | 'const'): number {
  return kind === 'env' ? 1.0 : 0.5;
}

/**
 * GO when the whole interval is above zero and the gain reaches the threshold,
 * NO-GO when the whole interval is below zero, NEUTRAL otherwise.
 */
export function verdict(
  c: Pick<PairedComparison, 'deltaPct' | 'ciLowPct' | 'ciHighPct'>,
  thresholdPct: number,
): Verdict {
  if (c.ciLowPct > 0 && c.deltaPct >= thresholdPct) return 'GO';
  if (c.ciHighPct < 0) return 'NO-GO';
  return 'NEUTRAL';
}

/** Percentile by linear interpolation between closest ranks (p in [0, 1]). */
export { quantile } from 'simple-statistics';
