/** Binary classification figures (malicious = positive). */
export interface BinaryMetrics {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function binaryMetrics(truth: readonly boolean[], predicted: readonly boolean[]): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    if (t && p) tp++;
    else if (!t && p) fp++;
    else if (!t && !p) tn++;
    else fn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    precision: r(precision),
    recall: r(recall),
    f1: r(f1),
    accuracy: r((tp + tn) / truth.length),
    tp,
    fp,
    tn,
    fn,
  };
}
