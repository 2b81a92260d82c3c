// The sampler's output: the host's agent (src/hosts/agent.py) prints, every interval, the wall-clock
// time, the machine's CPU time by mode (/proc/stat), interrupts and context switches, and the
// namespace's NIC counters (/proc/net/dev), after a header with the CPU count and the kernel boot id:
//   ncpu <n> / boot <id>, then per sample:
//   @ <epoch seconds> / cpu  user nice system idle iowait irq softirq steal … / intr <total> / ctxt <total> /
//   <the lines of /proc/net/dev>
// Pure parsing and arithmetic here; the runner starts and stops it.
import { fail, type ParseResult } from './failure.js';

export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface IfCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

export interface Sample {
  /** Wall-clock seconds (epoch) on the host. */
  time: number;
  cpu: CpuTimes;
  interrupts: number;
  contextSwitches: number;
  interfaces: Record<string, IfCounters>;
}

export interface Samples {
  /** CPUs of the host (or of the kernel the "host" shares, in the lab). */
  ncpu: number;
  /** Kernel boot id: two hosts with the same one share a kernel (namespaces), so CPU counts once. */
  bootId?: string;
  samples: Sample[];
}

export function parseSamples(text: string): ParseResult<Samples> {
  let ncpu = 0;
  let bootId: string | undefined;
  const samples: Sample[] = [];
  let cur: Sample | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('ncpu ')) ncpu = Number(line.slice(5));
    else if (line.startsWith('boot ')) bootId = line.slice(5).trim();
    else if (line.startsWith('@ ')) {
      cur = { time: Number(line.slice(2)), cpu: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 }, interrupts: NaN, contextSwitches: NaN, interfaces: {} };
      if (!Number.isFinite(cur.time)) return fail('no-result', `sampler: bad time line "${line}"`);
      samples.push(cur);
    } else if (!cur) continue;
    else if (line.startsWith('cpu ')) {
      const f = line.trim().split(/\s+/).slice(1).map(Number);
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
      cur.cpu = { user, nice, system, idle, iowait, irq, softirq, steal };
    } else if (line.startsWith('intr ')) cur.interrupts = Number(line.split(' ')[1]);
    else if (line.startsWith('ctxt ')) cur.contextSwitches = Number(line.split(' ')[1]);
    else {
      // /proc/net/dev: "  eth0: rxbytes rxpackets errs drop fifo frame compressed multicast txbytes txpackets …"
      const m = /^\s*([^\s:]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      if (f.length < 10 || f.some((x) => !Number.isFinite(x))) continue;
      cur.interfaces[m[1]!] = { rxBytes: f[0]!, rxPackets: f[1]!, txBytes: f[8]!, txPackets: f[9]! };
    }
  }
  // The last sample may be cut off (read while the sampler writes, or stopped): keep only complete ones,
  // with every interface the first sample had.
  const ifCount = Math.max(0, ...samples.map((s) => Object.keys(s.interfaces).length));
  const complete = samples.filter((s) => Number.isFinite(s.interrupts) && Number.isFinite(s.contextSwitches) && ifCount > 0 && Object.keys(s.interfaces).length === ifCount);
  if (ncpu < 1) return fail('no-result', 'sampler: no CPU count in the output');
  if (complete.length === 0) return fail('too-few-samples', 'sampler: no complete sample');
  return { ok: true, value: { ncpu, bootId, samples: complete } };
}

const total = (c: CpuTimes) => c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.softirq + c.steal;

export interface CpuUse {
  /** Seconds between the two samples used. */
  seconds: number;
  samples: number;
  /** Share of all CPUs, in percent, by mode; busy = everything but idle and iowait. */
  userPct: number;
  systemPct: number;
  softirqPct: number;
  irqPct: number;
  busyPct: number;
  /** Busy CPUs (busy share × CPU count): comparable across machines of different size. */
  cores: number;
  interruptsPerS: number;
  contextSwitchesPerS: number;
  /** Counter deltas per interface over the window. */
  interfaces: Record<string, IfCounters>;
}

/**
 * CPU and counters between the first sample at or after `from` and the last at or before `to` (epoch
 * seconds); the whole series when the window holds fewer than two samples.
 */
export function usage(s: Samples, from = -Infinity, to = Infinity): CpuUse | undefined {
  let inside = s.samples.filter((x) => x.time >= from && x.time <= to);
  if (inside.length < 2) inside = s.samples;
  if (inside.length < 2) return undefined;
  const a = inside[0]!;
  const b = inside[inside.length - 1]!;
  const dt = total(b.cpu) - total(a.cpu);
  const seconds = b.time - a.time;
  if (dt <= 0 || seconds <= 0) return undefined;
  const pct = (k: keyof CpuTimes) => ((b.cpu[k] - a.cpu[k]) / dt) * 100;
  const busyPct = 100 - pct('idle') - pct('iowait');
  const interfaces: Record<string, IfCounters> = {};
  for (const [name, end] of Object.entries(b.interfaces)) {
    const start = a.interfaces[name];
    if (!start) continue;
    interfaces[name] = {
      rxBytes: end.rxBytes - start.rxBytes,
      rxPackets: end.rxPackets - start.rxPackets,
      txBytes: end.txBytes - start.txBytes,
      txPackets: end.txPackets - start.txPackets,
    };
  }
  return {
    seconds,
    samples: inside.length,
    userPct: pct('user') + pct('nice'),
    systemPct: pct('system'),
    softirqPct: pct('softirq'),
    irqPct: pct('irq'),
    busyPct,
    cores: (busyPct / 100) * s.ncpu,
    interruptsPerS: (b.interrupts - a.interrupts) / seconds,
    contextSwitchesPerS: (b.contextSwitches - a.contextSwitches) / seconds,
    interfaces,
  };
}

/** Packets per second on each interface between consecutive samples: the counter timeline. */
export function packetRates(s: Samples, interfaces: string[]): { time: number; iface: string; rxPps: number; txPps: number }[] {
  const out: { time: number; iface: string; rxPps: number; txPps: number }[] = [];
  for (let i = 1; i < s.samples.length; i++) {
    const a = s.samples[i - 1]!;
    const b = s.samples[i]!;
    const dt = b.time - a.time;
    if (dt <= 0) continue;
    for (const name of interfaces) {
      const x = a.interfaces[name];
      const y = b.interfaces[name];
      if (!x || !y) continue;
      out.push({ time: (a.time + b.time) / 2, iface: name, rxPps: (y.rxPackets - x.rxPackets) / dt, txPps: (y.txPackets - x.txPackets) / dt });
    }
  }
  return out;
}
