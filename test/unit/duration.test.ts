import { describe, expect, it } from 'vitest';
import { parseDuration, formatSeconds } from '../../src/util/duration.js';

describe('durations', () => {
  it('parses units to seconds', () => {
    expect(parseDuration('10s')).toBe(10);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1.5s')).toBe(1.5);
    expect(parseDuration(7)).toBe(7);
    expect(parseDuration('12')).toBe(12);
  });
  it('refuses what is not a duration', () => {
    for (const bad of ['10 sec', 'ten', '-1s', '', '5d']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseDuration(-3)).toBeUndefined();
  });
  it('formats for people', () => {
    expect(formatSeconds(42)).toBe('42s');
    expect(formatSeconds(75)).toBe('1m15s');
    expect(formatSeconds(3720)).toBe('1h02m');
  });
});
