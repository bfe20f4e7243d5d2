/**
 * The optimizer unit's numerics: eq. (1) of the MAESTRO paper,
 *
 *   x_i^(k+1) = x_i^(k) − η ( ∇U_i(x_i^(k)) + ∇U_0(x_1^(k), …, x_n^(k)) ),
 *
 * with the default utility family of this project:
 *   - BO i's loss U_i(x) = w_i (x − t_i)²  (target t_i, weight w_i: private to BO i and MAESTRO);
 *   - MAESTRO's collective term U_0 = Σ_i [ λ_i (x_i − z) + ρ/2 (x_i − z)² ], an augmented
 *     Lagrangian that pulls every demand to the common value z, where z is the mean of
 *     (x_i + λ_i/ρ) clipped to the topic's bounds [min, max], and the prices λ_i rise by
 *     ρ (x_i − z) after every step (dual ascent).
 * At a fixed point every x_i = z and Σ_i 2 w_i (z − t_i) = −Σ_i λ_i, which is the optimality
 * condition of min_z Σ_i w_i (z − t_i)² on [min, max]: the iterates converge to the closed form
 * clip(Σ w_i t_i / Σ w_i, min, max) (tested in tests/unit/optimizer.test.ts).
 */

export interface QuadraticUtility {
  partyId: string;
  /** t_i: the value the party would choose alone, in the topic's unit. */
  target: number;
  /** w_i > 0: how strongly the party's loss grows away from its target. */
  weight: number;
}

export interface TopicBounds {
  min: number;
  max: number;
}

export interface ConsensusIterationOptions {
  utilities: readonly QuadraticUtility[];
  bounds: TopicBounds;
  /** x^(0): the demands the iteration starts from (default: the targets). */
  initialValues?: readonly number[];
  /** Stop when no demand moves more than this and all lie this close to z (topic units). */
  epsilon?: number;
  maxIterations?: number;
  /** Keep every `traceEvery`-th iterate in the returned trace (0 = no trace). */
  traceEvery?: number;
}

export interface ConsensusIterate {
  k: number;
  values: number[];
  commonValue: number;
}

export interface ConsensusResult {
  /** z at the last iterate: MAESTRO's consensus proposal. */
  value: number;
  /** x^(K): the demands at the last iterate (≈ value when converged). */
  values: number[];
  /** λ_i at the last iterate: the price MAESTRO's feedback puts on each party's deviation. */
  prices: number[];
  /** ρ used by the iteration; a party needs it with its price to compute its best response. */
  penalty: number;
  iterations: number;
  converged: boolean;
  trace: ConsensusIterate[];
}

export const clip = (value: number, { min, max }: TopicBounds): number => Math.min(max, Math.max(min, value));

/** The theoretical optimum: argmin over z in [min, max] of Σ w_i (z − t_i)². */
export function closedFormOptimum(utilities: readonly QuadraticUtility[], bounds: TopicBounds): number {
  assertUtilities(utilities, bounds);
  const totalWeight = utilities.reduce((sum, u) => sum + u.weight, 0);
  const weightedSum = utilities.reduce((sum, u) => sum + u.weight * u.target, 0);
  return clip(weightedSum / totalWeight, bounds);
}

/** Runs eq. (1) with MAESTRO's augmented-Lagrangian feedback until consensus. */
export function iterateConsensus(options: ConsensusIterationOptions): ConsensusResult {
  const { utilities, bounds } = options;
  assertUtilities(utilities, bounds);
  const n = utilities.length;
  const span = bounds.max - bounds.min;
  const epsilon = options.epsilon ?? 1e-6 * span;
  const maxIterations = options.maxIterations ?? 20_000;
  const traceEvery = options.traceEvery ?? 0;
  const maxWeight = Math.max(...utilities.map((u) => u.weight));
  // ρ of the order of the steepest loss keeps the pull comparable to the parties' own gradients;
  // η below 1/L (L = 2 w_max + ρ, the Lipschitz constant of each demand's gradient) keeps eq. (1) stable.
  const penalty = 2 * maxWeight;
  const eta = 1 / (2 * maxWeight + penalty);

  const x = (options.initialValues ?? utilities.map((u) => u.target)).map((v) => clip(v, bounds));
  if (x.length !== n) throw new RangeError(`initialValues has ${x.length} entries for ${n} utilities`);
  const prices = new Array<number>(n).fill(0);
  const commonValueOf = (): number => clip(x.reduce((s, xi, i) => s + xi + prices[i]! / penalty, 0) / n, bounds);
  const trace: ConsensusIterate[] = [];

  let z = commonValueOf();
  let converged = false;
  let k = 0;
  for (; k < maxIterations && !converged; k++) {
    if (traceEvery > 0 && k % traceEvery === 0) trace.push({ k, values: [...x], commonValue: z });
    let largestStep = 0;
    for (let i = 0; i < n; i++) {
      const u = utilities[i]!;
      const xi = x[i]!;
      const gradOwn = 2 * u.weight * (xi - u.target); // ∇U_i
      const gradMediator = prices[i]! + penalty * (xi - z); // ∇_i U_0
      const next = xi - eta * (gradOwn + gradMediator); // eq. (1)
      largestStep = Math.max(largestStep, Math.abs(next - xi));
      x[i] = next;
    }
    for (let i = 0; i < n; i++) prices[i] = prices[i]! + penalty * (x[i]! - z);
    z = commonValueOf();
    const largestGap = Math.max(...x.map((xi) => Math.abs(xi - z)));
    converged = largestStep < epsilon && largestGap < epsilon;
  }
  if (traceEvery > 0) trace.push({ k, values: [...x], commonValue: z });
  return { value: z, values: [...x], prices, penalty, iterations: k, converged, trace };
}

/**
 * A party's own optimizer: its best response to MAESTRO's feedback (proposal p, its price λ_i,
 * penalty ρ), argmin_x w_i (x − t_i)² + λ_i (x − p) + ρ/2 (x − p)², clipped to the bounds.
 * When MAESTRO's prices have converged this is p itself: the prices are what make each party's
 * selfish optimum coincide with the collective one. With no feedback yet it is the target.
 */
export function bestResponse(
  utility: QuadraticUtility,
  bounds: TopicBounds,
  feedback: { proposal: number; price: number; penalty: number } | null,
): number {
  if (feedback === null) return clip(utility.target, bounds);
  const { proposal, price, penalty } = feedback;
  return clip(
    (2 * utility.weight * utility.target - price + penalty * proposal) / (2 * utility.weight + penalty),
    bounds,
  );
}

function assertUtilities(utilities: readonly QuadraticUtility[], bounds: TopicBounds): void {
  if (utilities.length === 0) throw new RangeError('at least one utility is needed');
  if (!(bounds.min < bounds.max)) throw new RangeError(`bounds need min < max, got [${bounds.min}, ${bounds.max}]`);
  for (const u of utilities) {
    if (!(u.weight > 0) || !Number.isFinite(u.weight)) throw new RangeError(`weight of ${u.partyId} must be > 0`);
    if (!Number.isFinite(u.target)) throw new RangeError(`target of ${u.partyId} must be finite`);
  }
}
