// ssh_config resolved by OpenSSH itself (`ssh -G`, which connects to nothing): aliases, Host patterns and
// Match, what the scenario writes winning over the file, tokens, ProxyJump chains, refusals.
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describeEndpoint, parseTargetSpec, resolveEndpoint } from '../../src/hosts/ssh-config.js';

async function config(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vfb-sshcfg-'));
  await writeFile(join(dir, 'config'), text);
  return join(dir, 'config');
}

const FLEET = `Host bastion
  HostName 203.0.113.10
  User jump
  Port 2222
  IdentityFile ~/.ssh/jump_key
  HostKeyAlias bastion.example

Host inner
  HostName 10.0.0.5
  ProxyJump bastion

Host vm-*
  User azureuser
  IdentityFile %d/.ssh/fleet_%h
  IdentityFile /etc/vfbench/second_key
  IdentitiesOnly yes
  ProxyJump inner,ops@10.0.0.6:2200
  UserKnownHostsFile ~/.ssh/fleet_known_hosts
  ConnectTimeout 7
  ServerAliveInterval 15

Match host 10.9.9.*
  User matched

Host vm-a
  HostName 10.1.0.4
`;

describe('ssh_config', () => {
  it('resolves an alias with its options, IdentityFile tokens and the whole bastion chain in order', async () => {
    const file = await config(FLEET);
    const ep = await resolveEndpoint('vm-a', file);
    expect(ep).toMatchObject({ host: '10.1.0.4', port: 22, user: 'azureuser', identitiesOnly: true, connectTimeoutS: 7, serverAliveIntervalS: 15 });
    expect(ep.identityFiles).toEqual([join(homedir(), '.ssh', 'fleet_10.1.0.4'), '/etc/vfbench/second_key']);
    expect(ep.userKnownHosts).toEqual([join(homedir(), '.ssh', 'fleet_known_hosts')]);
    // inner's own ProxyJump (bastion) comes first, then inner, then the second hop of the list.
    expect(ep.jumps.map((j) => `${j.user}@${j.host}:${j.port}`)).toEqual(['jump@203.0.113.10:2222', `${userInfo().username}@10.0.0.5:22`, 'ops@10.0.0.6:2200']);
    expect(ep.jumps[0]).toMatchObject({ hostKeyAlias: 'bastion.example', identityFiles: [join(homedir(), '.ssh', 'jump_key')] });
    expect(describeEndpoint(ep)).toBe('azureuser@10.1.0.4 via bastion → inner → ops@[10.0.0.6]:2200'); // as ssh -G writes the hop
  });

  it('lets what the scenario writes win, as on the ssh command line; Match blocks apply', async () => {
    const file = await config(FLEET);
    expect(await resolveEndpoint('root@vm-a:2022', file)).toMatchObject({ host: '10.1.0.4', user: 'root', port: 2022 });
    expect(await resolveEndpoint('10.9.9.7', file)).toMatchObject({ host: '10.9.9.7', user: 'matched', jumps: [] });
    // A plain address with no entry: OpenSSH's defaults (the usual key files, known_hosts in ~/.ssh).
    const plain = await resolveEndpoint('root@198.18.0.11', file);
    expect(plain).toMatchObject({ host: '198.18.0.11', user: 'root', port: 22, identitiesOnly: false, jumps: [] });
    expect(plain.identityFiles).toContain(join(homedir(), '.ssh', 'id_ed25519'));
  });

  it('expands IdentityFile tokens as OpenSSH: %n the name as given, %l the full local name, %k the alias', async () => {
    const file = await config('Host t*\n  HostName 10.2.0.9\n  HostKeyAlias t-key\n  IdentityFile /k/%n-%h-%r-%p-%k-%l-%L-%%\n');
    const ep = await resolveEndpoint('bob@t1:2200', file);
    expect(ep.identityFiles[0]).toBe(`/k/t1-10.2.0.9-bob-2200-t-key-${hostname()}-${hostname().split('.')[0]}-%`);
    // ProxyJump takes ssh:// URIs too.
    expect((await resolveEndpoint('x', await config('Host x\n  ProxyJump ssh://ops@10.0.0.7:2201\n'))).jumps.map((j) => `${j.user}@${j.host}:${j.port}`)).toEqual(['ops@10.0.0.7:2201']);
  });

  it('refuses ProxyCommand, unknown tokens, jump loops and targets that look like options', async () => {
    await expect(resolveEndpoint('p', await config('Host p\n  ProxyCommand nc %h %p\n'))).rejects.toThrow(/ProxyCommand, which vfbench does not run: use ProxyJump/);
    await expect(resolveEndpoint('t', await config('Host t\n  IdentityFile ~/.ssh/%C\n'))).rejects.toThrow(/token %C .* is not supported/);
    await expect(resolveEndpoint('a', await config('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n'))).rejects.toThrow(/more than 8 ProxyJump hops/);
    expect(() => parseTargetSpec('-oProxyCommand=x')).toThrow(/cannot read ssh target/);
    await expect(resolveEndpoint('x', '/nonexistent/ssh_config')).rejects.toThrow(/ssh_config \/nonexistent\/ssh_config for "x"/);
  });
});
