// Run labels: the scenario's `labels:`, `--label k=v`, and the labels read off the hosts' facts.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { scenarioProblems, twoHostScenario } from '../helpers/scenario.js';
import { parseLabelArgs } from '../../src/scenario/labels.js';
import { execa } from 'execa';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUD_SCRIPT, FACTS_SCRIPT, factLabels, parseFacts } from '../../src/runner/facts.js';

const SCENARIO = (labels: string) => twoHostScenario('t', `${labels}\n`);
const problems = scenarioProblems;

describe('scenario labels', () => {
  it('keeps YAML numbers and booleans as the text a query compares with', () => {
    const s = parseScenario(SCENARIO('labels: { vm_size: Standard_D8s_v5, kernel_line: 6.10, spot: true, runner: 3 }'), 's.yaml');
    // 6.10 is the number 6.1 to YAML: the label is what YAML read, so quoting is the way to keep "6.10".
    expect(s.labels).toEqual({ vm_size: 'Standard_D8s_v5', kernel_line: '6.1', spot: 'true', runner: '3' });
  });

  it('refuses names a query or a table column cannot use, naming the line and field', () => {
    const ps = problems(SCENARIO('labels:\n  vm_size: ok\n  VM-Size: x\n  point: y\n  __name__: z\n  empty: ""'));
    const by = (field: string) => ps.find((p) => p.field === field);
    expect(by('labels.VM-Size')).toMatchObject({ line: 4, message: expect.stringContaining('lower-case letters, digits and _') });
    expect(by('labels.point')).toMatchObject({ line: 5, message: expect.stringContaining('a column of vfbench\'s tables') });
    expect(by('labels.__name__')?.message).toContain('reserved (Prometheus)');
    expect(by('labels.empty')?.message).toContain('1 to 200 characters');
    expect(by('labels.vm_size')).toBeUndefined();
    const secret = problems(SCENARIO('labels:\n  db_password: hunter2hunter2'));
    expect(secret).toEqual([expect.objectContaining({ field: 'labels.db_password', line: 3, message: expect.stringContaining('labels are stored and exported, so never a secret') })]);
    expect(JSON.stringify(secret)).not.toContain('hunter2');
  });
});

describe('--label k=v', () => {
  it('parses repeated labels, the last of one name winning, = allowed in the value', () => {
    expect(parseLabelArgs(['vm_size=D8s_v5', 'note=a=b', 'vm_size=D16s_v5'])).toEqual({ vm_size: 'D16s_v5', note: 'a=b' });
    expect(parseLabelArgs(undefined)).toEqual({});
  });

  it.each([
    ['vm_size', 'expected name=value'],
    ['=x', 'expected name=value'],
    ['Region=x', 'lower-case letters'],
    ['run_id=x', 'a column of vfbench\'s tables'],
    ['note=two\nlines', 'one line without control characters'],
    ['note=', '1 to 200 characters'],
    ['api_token=f3a9c1d2e5b7', 'looks like a token, password or secret given as key=value'],
    ['ci=ghp_0123456789abcdefghijABCDEFGHIJ012345', 'looks like a GitHub token'],
  ])('refuses %j', (arg, message) => {
    expect(() => parseLabelArgs([arg], '--where')).toThrow(`--where ${message.startsWith('looks like') ? `${arg.split('=')[0]}=…` : arg}: `);
    expect(() => parseLabelArgs([arg])).toThrow(message);
  });
});

describe('labels from host facts', () => {
  it('sends the hosts a script the shell can read (a syntax error there leaves every fact out)', async () => {
    // The hosts run it with sh (dash on Debian/Ubuntu: no bashisms). -n: read, run nothing (it would ask a
    // cloud's metadata service where DMI names one).
    const r = await execa('sh', ['-n', '-c', FACTS_SCRIPT], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  const base = 'kernel 6.8.0-1015-azure\ncpus 8\n';
  it('reads the cloud, VM size and region the metadata service told, GCP\'s paths cut to their last part', () => {
    expect(parseFacts('a@vm1', `${base}cloud azure\nvmsize Standard_D8s_v5\nregion westeurope\n`)).toMatchObject({ cloud: 'azure', vmSize: 'Standard_D8s_v5', region: 'westeurope' });
    expect(parseFacts('a@vm1', `${base}cloud gcp\nvmsize projects/1234/machineTypes/n2-standard-8\nzone projects/1234/zones/us-central1-a\n`)).toMatchObject({ vmSize: 'n2-standard-8', region: 'us-central1' });
  });

  it('keeps no error page or empty answer as a VM size', () => {
    const f = parseFacts('a@vm1', `${base}cloud aws\nvmsize <?xml version="1.0"?><Error>401 Unauthorized</Error>\nregion \n`);
    expect(f.cloud).toBe('aws');
    expect(f.vmSize).toBeUndefined();
    expect(f.region).toBeUndefined();
  });

  it('labels a run with what its measured hosts share, and both values where they differ', () => {
    const vm1 = parseFacts('a@vm1', `${base}cloud azure\nvmsize Standard_D8s_v5\nregion westeurope\nif eth0 1500 up hv_netvsc - enP1s1,\nif enP1s1 1500 up mlx5_core 0001:00:02.0 -\n`);
    const vm2 = parseFacts('a@vm2', `kernel 6.5.0-1025-azure\ncloud azure\nvmsize Standard_D8s_v5\nregion westeurope\nif eth0 1500 up hv_netvsc - -\nif enP2s1 1500 up mana 0002:00:02.0 -\n`);
    const lab = parseFacts('root@198.18.0.11', `${base}if vf0 1500 up veth - -\n`);
    expect(factLabels({ vm1, vm2, lab }, ['vm1', 'vm2'])).toEqual({
      kernel: '6.5.0-1025-azure+6.8.0-1015-azure',
      driver: 'mana+mlx5_core',
      cloud: 'azure',
      vm_size: 'Standard_D8s_v5',
      region: 'westeurope',
    });
    // A host that is not measured (a bastion, a controller's host) adds nothing; the lab has no cloud.
    expect(factLabels({ vm1, vm2, lab }, ['lab'])).toEqual({ kernel: '6.8.0-1015-azure' });
  });
});

// The metadata services cannot exist here: a stand-in curl answers as each cloud's would, and the script
// reads a DMI folder of the test's instead of /sys/class/dmi/id.
describe('cloud facts from a stand-in metadata service (curl replaced; no cloud here)', () => {
  const FAKE_CURL = `#!/bin/bash
echo "$*" >> "$CURL_LOG"
case "$*" in
  *api/token*) echo -n TOKEN ;;
  *"X-aws-ec2-metadata-token: TOKEN"*instance-type) echo -n c5n.9xlarge ;;
  *"X-aws-ec2-metadata-token: TOKEN"*placement/region) echo -n us-east-1 ;;
  *Metadata:true*compute/vmSize*) echo -n Standard_D8s_v5 ;;
  *Metadata:true*compute/location*) echo -n westeurope ;;
  *"Metadata-Flavor: Google"*machine-type) echo -n projects/1/machineTypes/n2-standard-8 ;;
  *"Metadata-Flavor: Google"*zone) echo -n projects/1/zones/us-central1-a ;;
  *) echo -n '<html>404</html>' ;;
esac
`;
  async function factsOn(dmi: Record<string, string>): Promise<{ facts: ReturnType<typeof parseFacts>; calls: string[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-cloud-'));
    await mkdir(join(dir, 'dmi'));
    await mkdir(join(dir, 'bin'));
    for (const [k, v] of Object.entries(dmi)) await writeFile(join(dir, 'dmi', k), `${v}\n`);
    await writeFile(join(dir, 'bin', 'curl'), FAKE_CURL, { mode: 0o755 });
    const log = join(dir, 'curl.log');
    await writeFile(log, '');
    const script = CLOUD_SCRIPT.replaceAll('/sys/class/dmi/id', join(dir, 'dmi'));
    const r = await execa('sh', ['-c', script], { env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, CURL_LOG: log } });
    return { facts: parseFacts('x', r.stdout), calls: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
  }

  it.each([
    ['azure', { chassis_asset_tag: '7783-7084-3265-9085-8269-3286-77', sys_vendor: 'Microsoft Corporation' }, 'Standard_D8s_v5', 'westeurope'],
    ['aws', { sys_vendor: 'Amazon EC2', product_name: 'c5n.9xlarge' }, 'c5n.9xlarge', 'us-east-1'],
    ['gcp', { product_name: 'Google Compute Engine', sys_vendor: 'Google' }, 'n2-standard-8', 'us-central1'],
  ])('%s: asks its metadata service with the headers it wants', async (cloud, dmi, vmSize, region) => {
    const { facts } = await factsOn(dmi);
    expect(facts).toMatchObject({ cloud, vmSize, region });
  });

  it('asks nothing where DMI names no cloud (a lab, bare metal, another hypervisor)', async () => {
    const { facts, calls } = await factsOn({ sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)' });
    expect(calls).toEqual([]);
    expect(facts.cloud).toBeUndefined();
  });
});
