// The path state recorded before the first switch is only ever added to: a resumed session that failed
// before its controllers recorded anything must not erase what `vfbench restore` needs.
import { describe, expect, it } from 'vitest';
import { mergeOriginals } from '../../src/runner/run.js';
import type { OriginalState, PathController } from '../../src/paths/controller.js';

const controllers = (states: OriginalState[]) => new Map([['guest-link', { originals: () => states } as unknown as PathController]]);
const link = (host: string, iface: string, up: boolean): OriginalState => ({ controller: 'guest-link', host, state: { interface: iface, up } });

describe('recorded originals', () => {
  it('keeps the earlier sessions\' states, adds new hosts, never replaces or empties them', () => {
    const recorded = [link('vm1', 'vf0', true), link('vm2', 'vf0', true)];
    // A session that failed before recording anything: everything stays.
    expect(mergeOriginals(recorded, controllers([]))).toEqual(recorded);
    // The same interfaces found down now (the previous session died switched): the earlier "up" wins.
    expect(mergeOriginals(recorded, controllers([link('vm1', 'vf0', false), link('vm3', 'vf0', false)]))).toEqual([...recorded, link('vm3', 'vf0', false)]);
    // Another interface of a known host is another state.
    expect(mergeOriginals(recorded, controllers([link('vm1', 'eth1', true)]))).toHaveLength(3);
    // A first session records what its controllers found.
    expect(mergeOriginals([], controllers([link('vm1', 'vf0', false)]))).toEqual([link('vm1', 'vf0', false)]);
  });

  it('keys a state by what was switched, not by how: one restore command per host, one state per NIC', () => {
    const cmd = (host: string, restore: string): OriginalState => ({ controller: 'command', host, state: { restore, timeout: 60 } });
    const nic = (host: string, wait: number): OriginalState => ({ controller: 'azure-nic', host, state: { resource_group: 'rg', nic: `${host}-nic`, accelerated: true, wait } });
    const recorded = [cmd('vm1', 'restore-a'), nic('vm1', 300)];
    // A resumed session whose first variant was another command variant, or waited longer: nothing added.
    const found = new Map([
      ['command', { originals: () => [cmd('vm1', 'restore-b'), cmd('vm2', 'restore-b')] } as unknown as PathController],
      ['azure-nic', { originals: () => [nic('vm1', 600)] } as unknown as PathController],
    ]);
    expect(mergeOriginals(recorded, found)).toEqual([...recorded, cmd('vm2', 'restore-b')]);
  });
});
