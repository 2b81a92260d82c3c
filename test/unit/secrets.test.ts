// ${env:NAME} references and the redaction of what vfbench stores or prints.
import { describe, expect, it } from 'vitest';
import { checkSecrets, redact, redactComments, resolveSecrets, secretRefs } from '../../src/util/secrets.js';

describe('secrets', () => {
  it('resolves ${env:NAME} for running only, and names what is missing', () => {
    expect(secretRefs('az login --password ${env:AZ_PW} -u ${env:AZ_USER} ${env:AZ_PW}')).toEqual(['AZ_PW', 'AZ_USER']);
    expect(resolveSecrets('curl -H "X: ${env:T1}"', { T1: 'abcd1234efgh' })).toBe('curl -H "X: abcd1234efgh"');
    expect(() => checkSecrets(['echo ${env:NOPE_1}', 'true'], {})).toThrow(/\$\{env:NOPE_1\}, not set in vfbench's environment/);
    expect(() => resolveSecrets('${env:EMPTY}', { EMPTY: '' })).toThrow(/not set/);
    // Once resolved, the value is redacted back to its reference wherever text is stored or printed.
    expect(redact('output: abcd1234efgh done')).toBe('output: ${env:T1} done');
  });

  it('hides token-like text, and only in the comments of a scenario (its values are what runs)', () => {
    expect(redact('export API_KEY=0123456789abcdef')).toBe('export API_KEY=[redacted]');
    expect(redact('password: "hunter22"')).toBe('password: "[redacted]"');
    expect(redact('Authorization: Bearer eyJhbGciOi.abc')).toBe('Authorization: Bearer [redacted]');
    expect(redact('key AKIAIOSFODNN7EXAMPLE used')).toBe('key [redacted AWS key] used');
    expect(redact('ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe('[redacted token]');
    expect(redact('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----')).toBe('[redacted private key]');
    expect(redact('ip link set vf0 down; sockperf -t 10')).toBe('ip link set vf0 down; sockperf -t 10');
    const yaml = '# token=abcdef123456\nvariants:\n  pv: { apply: "echo token=abcdef123456" }\n';
    expect(redactComments(yaml)).toBe('# token=[redacted]\nvariants:\n  pv: { apply: "echo token=abcdef123456" }\n');
  });
});
