// Statistics against known values: published R results and exact enumerations.
import { describe, expect, it } from 'vitest';
import { bootstrapCI, bootstrapTwoSampleCI, cvPercent, mannWhitney, median, normalCdf, quantile } from '../../src/analysis/stats.js';

describe('Mann–Whitney U', () => {
  it('matches R\'s wilcox.test on its documented example (exact, W = 35, p = 0.2544)', () => {
    // R: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46); y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
    // wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272; two-sided twice that.
    const r = mannWhitney([0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46], [1.15, 0.88, 0.9, 0.74, 1.21]);
    expect(r.method).toBe('exact');
    expect(r.u).toBe(35);
    expect(r.p).toBeCloseTo(0.2544, 4);
  });

  it('gives the exact tail probabilities of complete separation: 2/C(m+n, m)', () => {
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).p).toBeCloseTo(2 / 20, 12);
    expect(mannWhitney([1, 2, 3, 4], [5, 6, 7, 8]).p).toBeCloseTo(2 / 70, 12);
    expect(mannWhitney([5, 6, 7, 8, 9], [1, 2, 3, 4, 0]).p).toBeCloseTo(2 / 252, 12);
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).u).toBe(0);
  });

  it('counts the exact null distribution right (enumerated by hand for 2 vs 2)', () => {
    // Orderings of {x1,x2,y1,y2}: U takes 0,1,2,2,3,4 over the 6 rank sets, so P(U ≤ 1) = 2/6.
    expect(mannWhitney([1, 3], [2, 4]).p).toBeCloseTo((2 * 2) / 6, 12);
  });

  it('uses the normal approximation with tie correction when there are ties', () => {
    const r = mannWhitney([1, 2, 2, 3], [2, 5, 6, 7]);
    expect(r.method).toBe('normal');
    expect(r.u).toBe(2); // 3 > 2 … and half pairs for the ties: (1,·)=0 (2,2)=0.5×2 (3,2)=1 → 2
    // By hand: mu = 8, sigma² = 16/12·(9 − (3³−3)/(8·7)) = 11.4286, z = (6 − 0.5)/3.3806 = 1.6269
    expect(r.p).toBeCloseTo(2 * (1 - normalCdf(5.5 / Math.sqrt((16 / 12) * (9 - 24 / 56)))), 10);
    expect(r.p).toBeCloseTo(0.1038, 3);
  });

  it('has a standard normal CDF accurate to 1e-6', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
  });
});

describe('bootstrap', () => {
  it('agrees with the exact bootstrap distribution of the median, enumerated for n = 3', () => {
    // All 27 resamples of {10, 20, 40} are equally likely; their medians give the exact bootstrap law.
    const x = [10, 20, 40];
    const medians: number[] = [];
    for (const a of x) for (const b of x) for (const c of x) medians.push(median([a, b, c]));
    medians.sort((p, q) => p - q);
    const exact = { low: quantile(medians, 0.025), high: quantile(medians, 0.975) };
    const ci = bootstrapCI(x, { resamples: 20000 });
    expect(ci.low).toBeCloseTo(exact.low, 6);
    expect(ci.high).toBeCloseTo(exact.high, 6);
    // P(median = 10) = 7/27 by the enumeration; the Monte Carlo share matches it.
    expect(medians.filter((m) => m === 10).length).toBe(7);
  });

  it('is reproducible from its seed and changes with it', () => {
    const x = [3.1, 2.7, 3.9, 4.4, 2.2, 3.3, 5.0];
    expect(bootstrapCI(x, { seed: 7 })).toEqual(bootstrapCI(x, { seed: 7 }));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(bootstrapCI(x, { seed: 7, resamples: 200, statistic: mean })).not.toEqual(bootstrapCI(x, { seed: 8, resamples: 200, statistic: mean }));
    const ci = bootstrapCI(x);
    expect(ci.low).toBeLessThanOrEqual(median(x));
    expect(ci.high).toBeGreaterThanOrEqual(median(x));
  });

  it('pairs resamples by repetition: a common drift cancels, so the paired CI is narrower', () => {
    // Both variants drift up together across repetitions; the ratio stays 2:1.
    const base = [100, 120, 140, 160, 180, 200];
    const variant = base.map((v) => v / 2);
    const boost = (b: number, v: number) => ((b - v) / b) * 100;
    const paired = bootstrapTwoSampleCI(base, variant, boost, { paired: true });
    const unpaired = bootstrapTwoSampleCI(base, variant, boost, { paired: false });
    expect(paired.low).toBeCloseTo(50, 6);
    expect(paired.high).toBeCloseTo(50, 6);
    expect(unpaired.high - unpaired.low).toBeGreaterThan(10);
  });

  it('computes the coefficient of variation with the sample standard deviation', () => {
    expect(cvPercent([80, 90, 70])).toBeCloseTo(12.5, 10);
  });
});
