// CPU cost of a trial from its hosts' samplers (pure): busy CPUs over the measured window, per Gbit/s and
// per 1000 transactions. The runner derives it for its progress line and the record; analyze again from raw/.
import { usage, type Samples, type CpuUse } from '../tools/proc.js';

/** Metrics of one host over the window, prefixed with its role. */
export function hostCpuMetrics(role: string, u: CpuUse): Record<string, number> {
  return {
    [`${role}_cpu_busy_pct`]: u.busyPct,
    [`${role}_cpu_user_pct`]: u.userPct,
    [`${role}_cpu_system_pct`]: u.systemPct,
    [`${role}_cpu_softirq_pct`]: u.softirqPct,
    [`${role}_cpu_irq_pct`]: u.irqPct,
    [`${role}_cpu_cores`]: u.cores,
    [`${role}_interrupts_per_s`]: u.interruptsPerS,
    [`${role}_context_switches_per_s`]: u.contextSwitchesPerS,
  };
}

export interface SampledCpu {
  metrics: Record<string, number>;
  /** Per host: window, sample count, counter deltas per interface. */
  hosts: Record<string, { role: string; ncpu: number; seconds: number; samples: number; interfaces: CpuUse['interfaces'] }>;
  sharedKernel: boolean;
}

/**
 * CPU cost of a trial. Two "hosts" with the same kernel boot id are one machine (the lab's namespaces):
 * its CPU is counted once. Derived: busy cores per Gbit/s and CPU milliseconds per 1000 transactions.
 */
export function cpuCost(
  series: { name: string; role: 'client' | 'server'; samples: Samples }[],
  window: { from?: number; to?: number },
  toolMetrics: Record<string, number>,
  /** Seconds to add to the window for a host whose clock differs from the client's. */
  shift: (name: string) => number = () => 0,
): SampledCpu | undefined {
  const metrics: Record<string, number> = {};
  const hosts: SampledCpu['hosts'] = {};
  const boots = new Set<string>();
  let cores = 0;
  let shared = false;
  for (const s of series) {
    const d = shift(s.name);
    const u = usage(s.samples, window.from !== undefined ? window.from + d : undefined, window.to !== undefined ? window.to + d : undefined);
    if (!u) continue;
    Object.assign(metrics, hostCpuMetrics(s.role, u));
    hosts[s.name] = { role: s.role, ncpu: s.samples.ncpu, seconds: u.seconds, samples: u.samples, interfaces: u.interfaces };
    if (s.samples.bootId && boots.has(s.samples.bootId)) shared = true;
    else cores += u.cores;
    if (s.samples.bootId) boots.add(s.samples.bootId);
  }
  if (Object.keys(hosts).length === 0) return undefined;
  metrics.cpu_cores = cores;
  const bps = toolMetrics.throughput_bps ?? toolMetrics.sent_bps;
  if (bps && bps > 0) metrics.cpu_cores_per_gbps = cores / (bps / 1e9);
  const trans = toolMetrics.transactions_per_s ?? toolMetrics.round_trips_per_s;
  if (trans && trans > 0) metrics.cpu_ms_per_1k_trans = (cores / trans) * 1e6;
  return { metrics, hosts, sharedKernel: shared };
}
