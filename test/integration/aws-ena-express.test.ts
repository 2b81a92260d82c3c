// aws-ena-express against a STAND-IN aws CLI (it cannot run here): test/stand-ins/aws records the calls and
// keeps each ENI's SRD setting, answering describe-network-interfaces with a configurable lag.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { labAvailable, processesIn, testLab, until, restoreLabLinks } from '../helpers/lab.js';
import { CLI, onlyRunDir, scenarioFile, vfbench, records, labHostYaml } from '../helpers/cli.js';

async function setup(wait: string, duration = '1s') {
  const { inventory } = testLab();
  const state = await mkdtemp(join(tmpdir(), 'fake-aws-'));
  // Both ENIs start with ENA Express on for TCP only.
  for (const eni of ['eni-0a1b2c3d4e5f60001', 'eni-0a1b2c3d4e5f60002']) await writeFile(join(state, `${eni}.srd`), '{"EnaSrdEnabled": true, "EnaSrdUdpSpecification": {"EnaSrdUdpEnabled": false}}\n');
  const enis = '{ vm1: eni-0a1b2c3d4e5f60001, vm2: eni-0a1b2c3d4e5f60002 }';
  const s = await scenarioFile(`name: it-aws
hosts:
  vm1: ${labHostYaml(inventory.hosts.vm1!)}
  vm2: ${labHostYaml(inventory.hosts.vm2!)}
pairs: [{ client: vm1, server: vm2 }]
variants:
  srd: { controller: aws-ena-express, enabled: true, udp: true, enis: ${enis}, region: eu-west-1, wait: ${wait}, settle: 0s }
  plain: { controller: aws-ena-express, enabled: false, enis: ${enis}, region: eu-west-1, wait: ${wait}, settle: 0s }
baseline: plain
repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
    duration: ${duration}
`);
  const env = { PATH: `${resolve('test/stand-ins')}:${process.env.PATH}`, FAKE_AWS_DIR: state };
  const calls = async () => (await readFile(join(state, 'calls.log'), 'utf8')).trim().split('\n');
  return { s, env, state, calls };
}

const DESCRIBE = (eni: string) => `aws --region eu-west-1 ec2 describe-network-interfaces --network-interface-ids ${eni} --query NetworkInterfaces[0].Attachment.EnaSrdSpecification --output json`;
const MODIFY = (eni: string, en: boolean, udp: boolean) =>
  `aws --region eu-west-1 ec2 modify-network-interface-attribute --network-interface-id ${eni} --ena-srd-specification EnaSrdEnabled=${en},EnaSrdUdpSpecification={EnaSrdUdpEnabled=${udp}}`;

describe.skipIf(!labAvailable())('aws-ena-express with a stand-in aws CLI', () => {
  // A test that fails half-way must not leave the shared lab changed for the next ones.
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it('sends the exact modify calls, waits until the API reports them, and restores the original (TCP-only) setting', async () => {
    const { s, env, calls, state } = await setup('20s');
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { ...env, FAKE_AWS_LAG: '2' } });
    expect(r.exitCode, r.all).toBe(0);
    const recs = await records(await onlyRunDir(s.results, 'it-aws'));
    expect(recs.map((x) => [x.variant, x.status])).toEqual([
      ['plain', 'ok'],
      ['srd', 'ok'],
    ]);
    const eni = 'eni-0a1b2c3d4e5f60001';
    const mine = (await calls()).filter((c) => c.includes(eni));
    const modifies = mine.filter((c) => c.includes('modify-network-interface-attribute'));
    expect(modifies).toEqual([MODIFY(eni, false, false), MODIFY(eni, true, true), MODIFY(eni, true, false)]);
    // With a lag of 2 the API shows the old setting twice: vfbench keeps asking until it changes.
    const afterFirst = mine.slice(mine.indexOf(MODIFY(eni, false, false)) + 1, mine.indexOf(MODIFY(eni, true, true)));
    expect(afterFirst.filter((c) => c === DESCRIBE(eni)).length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(await readFile(join(state, `${eni}.srd`), 'utf8'))).toEqual({ EnaSrdEnabled: true, EnaSrdUdpSpecification: { EnaSrdUdpEnabled: false } });
  });

  it('fails the trial with a clear timeout when the setting never takes effect', async () => {
    const { s, env } = await setup('2s');
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { ...env, FAKE_AWS_LAG: '1000' } });
    expect(r.exitCode).toBe(1);
    const [first] = await records(await onlyRunDir(s.results, 'it-aws'));
    expect(first!.failure!.message).toMatch(/vm[12]: ENA Express on eni-0a1b2c3d4e5f6000[12] was not disabled within 2s \(API: true, guest ena_srd_mode: n\/a\)/);
  });

  it('restores both ENIs when the run is interrupted', async () => {
    const { s, env, state, calls } = await setup('20s', '30s');
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false, all: true, env });
    const switched = async () => (await calls().catch(() => [])).filter((c) => c.includes('EnaSrdEnabled=false')).length === 2;
    await until('the plain trial', async () => (await switched()) && (await processesIn(testLab().ns.vm1)).includes('netperf'), 40_000);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(130);
    for (const eni of ['eni-0a1b2c3d4e5f60001', 'eni-0a1b2c3d4e5f60002']) {
      expect((await calls()).filter((c) => c.includes(eni)).filter((c) => c.includes('modify')).at(-1)).toBe(MODIFY(eni, true, false));
      expect(JSON.parse(await readFile(join(state, `${eni}.srd`), 'utf8')).EnaSrdEnabled).toBe(true);
    }
  });
});
