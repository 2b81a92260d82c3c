import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { command, quote, raw, ifname, ipAddress, port, absPath, InvalidValue } from '../../src/util/shell.js';

describe('quote / command', () => {
  const nasty = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', '"dq"', 'semi;colon', 'new\nline', '', '*', '~', 'back\\slash', "''", '-n'];

  it.each(nasty)('a real sh receives %j unchanged', async (s) => {
    // printf %s prints its argument exactly; any shell expansion would change it.
    const r = await execa('sh', ['-c', command(['printf', '%s', s])]);
    expect(r.stdout).toBe(s);
  });

  it('passes several arguments as separate words', async () => {
    const r = await execa('sh', ['-c', command(['sh', '-c', 'printf "[%s]" "$@"', 'x', 'a b', "c'd"])]);
    expect(r.stdout).toBe("[a b][c'd]");
  });

  it('leaves plain words readable and inserts raw syntax as is', () => {
    expect(quote('vf0')).toBe('vf0');
    expect(quote('198.18.1.2')).toBe('198.18.1.2');
    expect(quote('a b')).toBe("'a b'");
    expect(command(['echo', 'x', raw('&&'), 'echo', 'y z'])).toBe("echo x && echo 'y z'");
  });
});

describe('validators', () => {
  it('accepts real interface names and refuses the rest', () => {
    for (const ok of ['eth0', 'vf0', 'enP1s1', 'eth0.100', 'br-lan']) expect(ifname(ok)).toBe(ok);
    for (const bad of ['', 'a/b', 'a b', 'x'.repeat(16), '..', '$(id)']) expect(() => ifname(bad)).toThrow(InvalidValue);
  });
  it('checks addresses, ports and paths', () => {
    expect(ipAddress('198.18.1.2')).toBe('198.18.1.2');
    expect(ipAddress('::1')).toBe('::1');
    expect(() => ipAddress('198.18.1')).toThrow(InvalidValue);
    expect(() => ipAddress('host; rm -rf /')).toThrow(InvalidValue);
    expect(port(11111)).toBe(11111);
    expect(() => port(0)).toThrow(InvalidValue);
    expect(() => port(70000)).toThrow(InvalidValue);
    expect(() => port(1.5)).toThrow(InvalidValue);
    expect(absPath('/tmp/a b')).toBe('/tmp/a b');
    expect(() => absPath('relative')).toThrow(InvalidValue);
  });
});
