// VFBENCH_FAULT picks where a run fails (the fault suite on the lab uses it); a wrong value is refused
// with the form and the phases, and a fault acts exactly at its n-th point.
import { afterEach, describe, expect, it } from 'vitest';
import { faultPoint, injectedFault } from '../../src/util/faults.js';
import { UserError } from '../../src/util/errors.js';

afterEach(() => {
  delete process.env.VFBENCH_FAULT;
});

describe('VFBENCH_FAULT', () => {
  it.each([
    ['explode:measuring', /unknown action "explode"/],
    ['kill:lunch', /unknown phase "lunch"/],
    ['kill', /unknown phase ""/],
    ['kill:measuring:0', /the count is a whole number from 1/],
    ['kill:measuring:2:3', /the count is a whole number from 1/],
    ['throw:appending', /appending takes kill only/],
    ['kill:constructor', /unknown phase "constructor"/],
  ])('refuses %s', (value, why) => {
    process.env.VFBENCH_FAULT = value;
    expect(() => injectedFault()).toThrow(UserError);
    expect(() => injectedFault()).toThrow(why);
    expect(() => injectedFault()).toThrow(/phases: switching, server-start, measuring, fetching, appending, switchover, resume-restore/);
  });

  it('fails at the n-th time the phase is reached, and only there', () => {
    process.env.VFBENCH_FAULT = 'fail:measuring:3';
    expect(injectedFault()).toEqual({ action: 'fail', phase: 'measuring', nth: 3 });
    faultPoint('measuring');
    faultPoint('switching'); // another phase does not count
    faultPoint('measuring');
    expect(() => faultPoint('measuring')).toThrow('fault injected by VFBENCH_FAULT=fail:measuring:3');
    faultPoint('measuring');
  });

  it('does nothing when unset, and counts afresh when the value changes', () => {
    expect(injectedFault()).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(() => faultPoint('measuring')).not.toThrow();
    process.env.VFBENCH_FAULT = 'fail:switching';
    expect(() => faultPoint('switching')).toThrow(/fail:switching/);
  });
});
