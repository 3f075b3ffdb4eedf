// @ts-check
/** Order statistics for latency samples. */

/**
 * Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none.
 * @param {readonly number[]} samples
 * @param {number} p
 */
export function percentile(samples, p) {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/** @param {readonly number[]} samples */
export function median(samples) {
  const finite = samples.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[middle]) : (/** @type {number} */ (sorted[middle - 1]) + /** @type {number} */ (sorted[middle])) / 2;
}

/** @param {readonly number[]} samples */
export function max(samples) {
  return samples.length === 0 ? Number.NaN : Math.max(...samples);
}

/** @param {readonly number[]} samples */
export function sum(samples) {
  return samples.reduce((total, value) => total + value, 0);
}
