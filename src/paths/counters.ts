// Interface counters and the verdict on which path carried a trial's packets.
import type { Host } from '../hosts/host.js';
import { ifname, raw, quote } from '../util/shell.js';

export interface IfCounters {
  rx_packets: number;
  tx_packets: number;
  rx_bytes: number;
  tx_bytes: number;
}

/** Counters per interface; an interface that does not exist (a VF that vanished) is absent. */
export type CounterSnapshot = Record<string, IfCounters>;

const FIELDS = ['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes'] as const;

/** Read the counters of several interfaces in one round trip. */
export async function readCounters(host: Host, interfaces: string[]): Promise<CounterSnapshot> {
  const names = interfaces.map(ifname).map(quote).join(' ');
  const script =
    `for i in ${names}; do d=/sys/class/net/$i/statistics; [ -d "$d" ] || continue; ` +
    `printf '%s' "$i"; for f in ${FIELDS.join(' ')}; do printf ' %s' "$(cat "$d/$f")"; done; echo; done`;
  const out = await host.run([raw(script)]);
  const snap: CounterSnapshot = {};
  for (const line of out.split('\n')) {
    const [name, ...vals] = line.trim().split(/\s+/);
    if (!name || vals.length !== FIELDS.length) continue;
    const nums = vals.map(Number);
    snap[name] = Object.fromEntries(FIELDS.map((f, i) => [f, nums[i]!])) as unknown as IfCounters;
  }
  return snap;
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

export interface VerifyRule {
  accelerated: string;
  synthetic: string;
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
  snapshots: Record<string, { before: CounterSnapshot; after: CounterSnapshot }>,
): Verification {
  const hosts: Record<string, HostPathEvidence> = {};
  const verdicts: Verification['observed'][] = [];
  const reasons: string[] = [];
  for (const [name, { before, after }] of Object.entries(snapshots)) {
    const acc = delta(before, after, rule.accelerated);
    const syn = delta(before, after, rule.synthetic);
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
        `${name}: ${v === 'insufficient' ? `only ${packets} packets (< ${rule.min_packets})` : `${accPk} packets on ${rule.accelerated}, ${synPk} on ${rule.synthetic}`}`,
      );
    }
  }
  const observed = verdicts.every((v) => v === verdicts[0]) ? verdicts[0]! : verdicts.includes('insufficient') ? 'insufficient' : 'mixed';
  const ok = verdicts.length > 0 && verdicts.every((v) => v === expected);
  return { expected, observed, ok, hosts, reason: ok ? undefined : `expected the ${expected} path; ${reasons.join('; ')}` };
}
