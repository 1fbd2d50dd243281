// Small statistics: percentiles (nearest rank on sorted copies), median and IQR across rounds.

export function percentile(values, p) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Linear-interpolated quantile, for medians and quartiles of a handful of rounds. */
export function quantile(values, q) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Median, quartiles and IQR of per-round values. */
export function summary(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { n: 0, median: null, q1: null, q3: null, iqr: null, min: null, max: null };
  const q1 = quantile(finite, 0.25);
  const q3 = quantile(finite, 0.75);
  return {
    n: finite.length,
    median: quantile(finite, 0.5),
    q1,
    q3,
    iqr: q3 - q1,
    min: Math.min(...finite),
    max: Math.max(...finite),
  };
}

export function mean(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? null : finite.reduce((sum, value) => sum + value, 0) / finite.length;
}

export function round(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
