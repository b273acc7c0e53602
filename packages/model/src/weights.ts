/** Largest endpoint weight the model emits (HAProxy's limit is 256). */
export const MAX_ENDPOINT_WEIGHT = 256;

/** Weight a service without a weight label gets in a pool where another service has one. */
export const DEFAULT_SERVICE_WEIGHT = 100;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Per-endpoint weights for a weighted pool. `shares[i]` is service i's weight label (its traffic share
 * is shares[i] / Σshares) and `counts[i]` its number of endpoints. Returns the integer weight of each
 * endpoint of service i (0 when the service has no endpoints or a zero share).
 *
 * Exact when the reduced integer solution fits in 1..{@link MAX_ENDPOINT_WEIGHT}; otherwise each
 * endpoint gets round(256 · r / max r) with r = share / count, at least 1.
 */
export function endpointWeights(shares: readonly number[], counts: readonly number[]): number[] {
  const active: number[] = [];
  for (let i = 0; i < shares.length; i++) {
    if ((counts[i] ?? 0) > 0 && (shares[i] ?? 0) > 0) active.push(i);
  }
  const result = shares.map(() => 0);
  if (active.length === 0) return result;
  let lcm = 1;
  let exact = active.every((i) => Number.isSafeInteger(shares[i]));
  for (const i of exact ? active : []) {
    const n = counts[i] ?? 1;
    lcm = (lcm / gcd(lcm, n)) * n;
    if (lcm > 1e9) {
      exact = false;
      break;
    }
  }
  if (exact) {
    const raw = active.map((i) => (shares[i] ?? 0) * (lcm / (counts[i] ?? 1)));
    const g = raw.reduce((acc, w) => gcd(acc, w), 0);
    const reduced = raw.map((w) => w / g);
    if (reduced.every((w) => Number.isSafeInteger(w) && w <= MAX_ENDPOINT_WEIGHT)) {
      active.forEach((i, k) => (result[i] = reduced[k] ?? 1));
      return result;
    }
  }
  const ratios = active.map((i) => (shares[i] ?? 0) / (counts[i] ?? 1));
  const max = Math.max(...ratios);
  active.forEach((i, k) => {
    result[i] = Math.max(1, Math.round(((ratios[k] ?? 0) / max) * MAX_ENDPOINT_WEIGHT));
  });
  return result;
}
