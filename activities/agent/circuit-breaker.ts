/**
 * A circuit breaker per model endpoint (the MAESTRO paper's validation unit: the LLM "can be …
 * temporarily substituted by the optimizer until recovery"). After `threshold` consecutive outages
 * (5xx, refused connections, timeouts) the circuit opens for `cooldownMs`: turns skip the model and
 * the optimizer decides, with no minute-long timeouts per turn. The first call after the cooldown
 * probes the model again; a success closes the circuit.
 */
export interface BreakerOptions {
  threshold: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private readonly now: () => number;
  private readonly options: BreakerOptions;

  constructor(options: BreakerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** True while the model should not be asked. */
  isOpen(): boolean {
    return this.now() < this.openUntil;
  }

  state(): 'closed' | 'open' {
    return this.isOpen() ? 'open' : 'closed';
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  recordOutage(): void {
    this.failures += 1;
    if (this.failures >= this.options.threshold) this.openUntil = this.now() + this.options.cooldownMs;
  }
}

const breakers = new Map<string, CircuitBreaker>();

/** The process-wide breaker of one model endpoint (by model name). */
export function breakerFor(
  model: string,
  options: BreakerOptions = { threshold: 2, cooldownMs: 30_000 },
): CircuitBreaker {
  let breaker = breakers.get(model);
  if (breaker === undefined) {
    breaker = new CircuitBreaker(options);
    breakers.set(model, breaker);
  }
  return breaker;
}

/** A model error that is the endpoint's fault, not the request's: retrying later may work. */
export function isModelOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return status >= 500 || status === 429;
  // the openai client's connection and timeout errors carry no status
  return /connection|timed? ?out|ECONNREFUSED|ECONNRESET|socket hang up|fetch failed/i.test(
    `${err.name} ${err.message}`,
  );
}
