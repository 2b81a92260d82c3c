// The units the report's bar figures draw metrics in (the records keep SI units in their names).

export type UnitScale = Record<string, { factor: number; unit: string }>;

/** Throughput and transaction rates. */
export const THROUGHPUT: UnitScale = {
  throughput_bps: { factor: 1e-9, unit: 'Gbit/s' },
  sent_bps: { factor: 1e-9, unit: 'Gbit/s' },
  transactions_per_s: { factor: 1, unit: '1/s' },
  round_trips_per_s: { factor: 1, unit: '1/s' },
  messages_per_s: { factor: 1, unit: '1/s' },
};

/** CPU cost, absolute and per unit of work. */
export const CPU: UnitScale = {
  cpu_cores: { factor: 1, unit: 'CPUs' },
  cpu_cores_per_gbps: { factor: 1, unit: 'CPUs per Gbit/s' },
  cpu_ms_per_1k_trans: { factor: 1, unit: 'ms' },
};
