// The barrier of pairs run together: every trial of a batch arrives when its server is up and its
// counters are read; when the last one has arrived (or given up), all get the same start instant, far
// enough ahead that every start request reaches its host before it (each host then sleeps until it).
export class Barrier {
  private arrived = 0;
  private left = 0;
  private waiting: ((at: number | undefined) => void)[] = [];
  private at?: number;

  /** `marginS()`: how far ahead the common start lies, asked when the last trial arrives. */
  constructor(
    readonly size: number,
    private readonly marginS: () => number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  /** Resolves with the common start (local epoch seconds). */
  arrive(): Promise<number> {
    this.arrived++;
    const p = new Promise<number | undefined>((resolve) => this.waiting.push(resolve));
    this.check();
    return p.then((at) => at!);
  }

  /** A trial that fails before its start must leave, or the others would wait for ever. */
  leave(): void {
    this.left++;
    this.check();
  }

  private check(): void {
    if (this.arrived + this.left < this.size || this.at !== undefined) return;
    this.at = this.now() + this.marginS();
    for (const w of this.waiting.splice(0)) w(this.at);
  }
}

/**
 * How far ahead a common start must lie for these hosts: twice the slowest recent delivery of a request
 * (measured on every answer), plus a floor for this process's sending to every host and the host's work
 * before the start (its sampler and counters); `extraS` grows when a host reported a late start before.
 */
export function startMarginS(deliveriesMs: number[], extraS = 0): number {
  const worst = Math.max(0, ...deliveriesMs);
  return (2 * worst + 30) / 1000 + extraS;
}

/** Largest difference between actual starts, in ms (the barrier's skew); undefined with fewer than two. */
export function startSkewMs(starts: number[]): number | undefined {
  if (starts.length < 2) return undefined;
  return (Math.max(...starts) - Math.min(...starts)) * 1000;
}
