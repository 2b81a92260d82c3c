// ${env:NAME} references and the redaction of what vfbench stores or prints.
import { describe, expect, it } from 'vitest';
import { checkSecrets, redact, redactComments, resolveSecrets, secretRefs } from '../../src/util/secrets.js';
import { parseScenario } from '../../src/scenario/load.js';

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

  it('refuses a secret written into a command, at its line and column, and not ordinary commands', () => {
    const variant = (apply: string) => `name: s
hosts:
  a: { ssh: local, data: 127.0.0.1 }
  b: { ssh: local, data: 127.0.0.1 }
pairs: [{ client: a, server: b }]
variants:
  vf: { controller: command, path: accelerated, restore: "true", apply: ${JSON.stringify(apply)} }
  pv: { controller: guest-link, interface: vf0, state: down }
baseline: pv
tests:
  - { tool: netperf, test: [TCP_RR], duration: 1s }
`;
    for (const [apply, what] of [
      ['curl -H "Authorization: Bearer abcdefgh12345" https://x', 'an Authorization header'],
      ['az login --service-principal --password=s3cr3tvalue', 'a token, password or secret given as key=value'],
      ['AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws ec2 x', 'an AWS access key'],
    ]) {
      expect(() => parseScenario(variant(apply!), 's.yaml')).toThrow(`s.yaml:7:73: variants.vf.apply: looks like ${what} written into the command`);
    }
    for (const ok of ['curl -H "Authorization: Bearer ${env:TOKEN}" https://x', 'az account get-access-token --query accessToken -o tsv > /dev/null', 'az login --password "$AZ_PASSWORD"', 'ip link set vf0 up']) {
      expect(() => parseScenario(variant(ok), 's.yaml'), ok).not.toThrow();
    }
  });
});
