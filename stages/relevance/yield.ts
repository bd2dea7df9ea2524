/** Query yield: the share of a query's judged hits that are on-domain, with a Wilson confidence interval. */

/** Two-sided standard normal quantile for a confidence level (Acklam's rational approximation). */
export function normalQuantile(confidence: number): number {
  const p = 1 - (1 - confidence) / 2;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export function wilsonInterval(successes: number, trials: number, confidence: number): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const z = normalQuantile(confidence);
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface QueryYield {
  query_id: string;
  domain: string;
  text: string;
  hits: number;
  judged: number;
  on_domain: number;
  /** on_domain / judged, or null when nothing was judged (or every answer was unreadable). */
  yield: number | null;
  low: number;
  high: number;
  pruned: boolean;
}

export interface YieldRule {
  floor: number;
  confidence: number;
  minJudged: number;
}

/** A query is pruned when it has enough judgements and even the interval's upper bound is under the floor. */
export function queryYield(
  q: { query_id: string; domain: string; text: string; hits: number },
  judged: number,
  onDomain: number,
  rule: YieldRule,
): QueryYield {
  const { low, high } = wilsonInterval(onDomain, judged, rule.confidence);
  const round = (x: number) => Number(x.toFixed(4));
  return {
    ...q,
    judged,
    on_domain: onDomain,
    yield: judged ? round(onDomain / judged) : null,
    low: round(low),
    high: round(high),
    pruned: judged >= rule.minJudged && high < rule.floor,
  };
}
