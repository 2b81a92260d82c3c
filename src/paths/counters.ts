// Interface counters and the verdict on which path carried a trial's packets.
import { ops, type IfCounters, type Op } from '../hosts/host.js';
import { ifname } from '../util/shell.js';
import { parseEthtoolStats } from './discovery.js';

export type { IfCounters };

/** Counters per interface; an interface that does not exist (a VF that vanished) is absent. */
export type CounterSnapshot = Record<string, IfCounters>;


/** The interfaces and source a trial's verification reads. */
export interface CounterSource {
  source: 'sysfs' | 'netvsc';
  accelerated?: string;
  synthetic: string;
}

/** Names under which a snapshot holds the two paths' counters. */
export function pathKeys(src: CounterSource): { accelerated: string; synthetic: string } {
  return src.source === 'netvsc' ? { accelerated: `${src.synthetic}:vf`, synthetic: `${src.synthetic}:queues` } : { accelerated: src.accelerated!, synthetic: src.synthetic };
}

/** Pure: an `ethtool -S` of hv_netvsc as a snapshot of the VF path (vf_*) and the synthetic path (queues). */
export function netvscSnapshot(nic: string, stats: Record<string, number>): CounterSnapshot {
  const sum = (re: RegExp) => Object.entries(stats).reduce((a, [k, v]) => (re.test(k) ? a + v : a), 0);
  return {
    [`${nic}:vf`]: { rx_packets: stats.vf_rx_packets ?? 0, tx_packets: stats.vf_tx_packets ?? 0, rx_bytes: stats.vf_rx_bytes ?? 0, tx_bytes: stats.vf_tx_bytes ?? 0 },
    [`${nic}:queues`]: { rx_packets: sum(/^rx_queue_\d+_packets$/), tx_packets: sum(/^tx_queue_\d+_packets$/), rx_bytes: sum(/^rx_queue_\d+_bytes$/), tx_bytes: sum(/^tx_queue_\d+_bytes$/) },
  };
}

/**
 * The operation that reads the counters proving the path on one host, to put in a batch: sysfs counters
 * are read by the agent itself (nothing spawned); hv_netvsc's split needs `ethtool -S`.
 */
export function pathCountersOp(host: string, src: CounterSource): Op<CounterSnapshot> {
  if (src.source === 'sysfs') return ops.counters([ifname(src.accelerated!), ifname(src.synthetic)]);
  const op = ops.exec(['ethtool', '-S', ifname(src.synthetic)], 30);
  return {
    ...op,
    map: (raw) => {
      const r = op.map!(raw);
      if (r.code !== 0) throw new Error(`${host}: ethtool -S ${src.synthetic} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      return netvscSnapshot(src.synthetic, parseEthtoolStats(r.stdout));
    },
  };
}

export function delta(before: CounterSnapshot, after: CounterSnapshot, iface: string): IfCounters {
  const b = before[iface];
  const a = after[iface];
  const zero = { rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0 };
  if (!a) return zero;
  const base = b ?? zero;
  return {
    rx_packets: a.rx_packets - base.rx_packets,
    tx_packets: a.tx_packets - base.tx_packets,
    rx_bytes: a.rx_bytes - base.rx_bytes,
    tx_bytes: a.tx_bytes - base.tx_bytes,
  };
}

export type PathName = 'accelerated' | 'synthetic';

export interface HostPathEvidence {
  accelerated: IfCounters;
  synthetic: IfCounters;
  /** Share of packets (rx+tx) on the accelerated interface. */
  acceleratedShare: number;
  packets: number;
}

export interface Verification {
  expected: PathName;
  /** What the counters say: the path, 'mixed' when neither dominates, 'insufficient' when too few packets moved. */
  observed: PathName | 'mixed' | 'insufficient';
  ok: boolean;
  hosts: Record<string, HostPathEvidence>;
  reason?: string;
}

export interface VerifyRule extends CounterSource {
  share: number;
  min_packets: number;
}

/**
 * Judge each host of the pair by packet deltas on the two interfaces. A host is on the accelerated path
 * when at least `share` of its packets crossed that interface, on the synthetic path when at most
 * 1 − share did; the trial passes only when every host agrees with the expected path.
 */
export function verifyPath(
  expected: PathName,
  rule: VerifyRule,
  snapshots: Record<string, { before: CounterSnapshot; after: CounterSnapshot; source?: CounterSource }>,
): Verification {
  const hosts: Record<string, HostPathEvidence> = {};
  const verdicts: Verification['observed'][] = [];
  const reasons: string[] = [];
  for (const [name, { before, after, source }] of Object.entries(snapshots)) {
    // Hosts may read different interfaces (found per host when the scenario names none).
    const keys = pathKeys(source ?? rule);
    const acc = delta(before, after, keys.accelerated);
    const syn = delta(before, after, keys.synthetic);
    const accPk = acc.rx_packets + acc.tx_packets;
    const synPk = syn.rx_packets + syn.tx_packets;
    const packets = accPk + synPk;
    const share = packets > 0 ? accPk / packets : 0;
    hosts[name] = { accelerated: acc, synthetic: syn, acceleratedShare: share, packets };
    let v: Verification['observed'];
    if (packets < rule.min_packets) v = 'insufficient';
    else if (share >= rule.share) v = 'accelerated';
    else if (share <= 1 - rule.share) v = 'synthetic';
    else v = 'mixed';
    verdicts.push(v);
    if (v !== expected) {
      reasons.push(
        `${name}: ${v === 'insufficient' ? `only ${packets} packets (< ${rule.min_packets})` : `${accPk} packets on ${keys.accelerated}, ${synPk} on ${keys.synthetic}`}`,
      );
    }
  }
  const observed = verdicts.every((v) => v === verdicts[0]) ? verdicts[0]! : verdicts.includes('insufficient') ? 'insufficient' : 'mixed';
  const ok = verdicts.length > 0 && verdicts.every((v) => v === expected);
  return { expected, observed, ok, hosts, reason: ok ? undefined : `expected the ${expected} path; ${reasons.join('; ')}` };
}

/**
 * Counters to verify with when the scenario names none: per host, the hv_netvsc NIC that has a VF
 * (Azure), whose ethtool -S splits VF and synthetic traffic. Undefined for a host where that cannot be
 * proven from counters (no VF, or a driver whose counters mix the paths).
 */
export function autoCounterSource(pairs: { synthetic: string; vf: string }[], drivers: Record<string, string | undefined>): CounterSource | undefined {
  const netvsc = pairs.filter((p) => drivers[p.synthetic] === 'hv_netvsc');
  if (netvsc.length !== 1) return undefined; // none, or several NICs: which one carries the test is not known
  return { source: 'netvsc', synthetic: netvsc[0]!.synthetic };
}
