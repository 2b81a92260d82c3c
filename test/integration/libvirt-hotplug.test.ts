// libvirt-hotplug against a STAND-IN virsh (no hypervisor here): test/stand-ins/virsh records the calls and
// hot-unplugs / hot-plugs the lab guests' vf0. Real: the guests over SSH, netperf, counters, timings.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { labAvailable, linkUp, processesIn, testLab, until, restoreLabLinks } from '../helpers/lab.js';
import { CLI, onlyRunDir, scenarioFile, vfbench, records, labHostYaml } from '../helpers/cli.js';

async function setup(wait = '20s', duration = '1s') {
    const { inventory, ns } = testLab();
    const state = await mkdtemp(join(tmpdir(), 'fake-virsh-'));
    const xml = join(state, 'vf.xml');
    await writeFile(xml, "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/></source></hostdev>\n");
    const domains = `{ vm1: { domain: guest1, xml: ${xml}, pci: "0000:3b:02.1" }, vm2: { domain: guest2, xml: ${xml}, pci: "0000:3b:02.1" } }`;
    const s = await scenarioFile(`name: it-libvirt
hosts:
  vm1: ${labHostYaml(inventory.hosts.vm1!)}
  vm2: ${labHostYaml(inventory.hosts.vm2!)}
  hv: { ssh: local, data: 127.0.0.1 }
pairs: [{ client: vm1, server: vm2 }]
verify: { accelerated: vf0, synthetic: pv0 }
variants:
  vf: { controller: libvirt-hotplug, attached: true, hypervisor: hv, domains: ${domains}, vf_interface: vf0, wait: ${wait}, settle: 0.5s }
  pv: { controller: libvirt-hotplug, attached: false, hypervisor: hv, domains: ${domains}, vf_interface: vf0, wait: ${wait}, settle: 0.5s }
baseline: pv
repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
    duration: ${duration}
`);
    const env = { PATH: `${resolve('test/stand-ins')}:${process.env.PATH}`, FAKE_VIRSH_DIR: state, FAKE_VIRSH_NETNS: `guest1=${ns.vm1},guest2=${ns.vm2}`, FAKE_VIRSH_DELAY: '0.3' };
    return { s, env, state, xml, ns };
}

describe.skipIf(!labAvailable())('libvirt-hotplug with a stand-in virsh', () => {
  // A test that fails half-way must not leave the shared lab changed for the next ones.
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it('detaches and attaches each guest\'s VF on the hypervisor, times it, verifies the path, restores', async () => {
    const { s, env, state, xml, ns } = await setup();
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env });
    expect(r.exitCode, r.all).toBe(0);
    const dir = await onlyRunDir(s.results, 'it-libvirt');
    const recs = await records(dir);
    expect(recs.map((x) => [x.variant, x.status, x.verification?.observed])).toEqual([
      ['pv', 'ok', 'synthetic'],
      ['vf', 'ok', 'accelerated'],
    ]);
    // The guest saw the change ~0.3 s after virsh returned: the visible time includes it.
    for (const [rec, kind] of [[recs[0]!, 'unplug'], [recs[1]!, 'hotplug']] as const) {
      for (const g of ['vm1', 'vm2']) {
        expect(rec.metrics[`${g}_${kind}_virsh_ms`]).toBeGreaterThan(0);
        expect(rec.metrics[`${g}_${kind}_visible_ms`]).toBeGreaterThan(300);
        expect(rec.metrics[`${g}_${kind}_visible_ms`]!).toBeGreaterThan(rec.metrics[`${g}_${kind}_virsh_ms`]!);
      }
    }
    const calls = (await readFile(join(state, 'calls.log'), 'utf8')).trim().split('\n');
    const g1 = calls.filter((c) => c.includes(' guest1'));
    expect(g1).toEqual([
      'virsh dumpxml guest1', // recorded before anything changes
      'virsh dumpxml guest1',
      `virsh detach-device guest1 ${xml} --live`,
      'virsh dumpxml guest1',
      `virsh attach-device guest1 ${xml} --live`,
      'virsh dumpxml guest1', // restore: attached, as found
    ]);
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(m.originalPathState).toEqual(expect.arrayContaining([expect.objectContaining({ controller: 'libvirt-hotplug', host: 'vm1', state: expect.objectContaining({ attached: true, domain: 'guest1' }) })]));
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
  });

  it('fails the switch with a clear timeout when the guest never sees the VF go, and puts it back', async () => {
    const { s, env, ns } = await setup('2s');
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { ...env, FAKE_VIRSH_DELAY: '4' } });
    expect(r.exitCode).toBe(1);
    const [pv] = await records(await onlyRunDir(s.results, 'it-libvirt'));
    expect(pv!.failure!.message).toMatch(/vm[12]: the VF vf0 did not vanish in the guest within 2s after detach-device on hv/);
    await new Promise((res) => setTimeout(res, 5000)); // the stand-in's late change lands, then restore's attach does too
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
  });

  it('re-attaches the VFs when the run is interrupted', async () => {
    const { s, env, state, ns } = await setup('20s', '30s');
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false, all: true, env });
    const detached = async () => (await readFile(join(state, 'calls.log'), 'utf8').catch(() => '')).split('\n').filter((c) => c.startsWith('virsh detach-device')).length === 2;
    await until('the pv trial', async () => (await detached()) && (await processesIn(ns.vm1)).includes('netperf'), 40_000);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode, r.all).toBe(130);
    const calls = (await readFile(join(state, 'calls.log'), 'utf8')).trim().split('\n');
    expect(calls.filter((c) => c.startsWith('virsh attach-device')).length).toBe(2);
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
  });
});
