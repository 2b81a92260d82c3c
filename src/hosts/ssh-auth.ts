// Authentication of one hop, in OpenSSH's order: the agent first, then the key files (the scenario's key,
// then IdentityFile entries). With IdentitiesOnly the agent offers only the keys of those files. A key
// with a passphrase is used through the agent, or asked for on a terminal (never stored); without either
// it is skipped and the failure says how to use it.
import { readFileSync, existsSync } from 'node:fs';
import ssh2, { type AgentAuthMethod, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import type { IdentityCallback } from 'ssh2';
import { askSecret } from '../util/prompt.js';
import type { SshEndpoint } from './ssh-config.js';

// ssh2 is CommonJS and Node sees only some of its named exports: these come from the default export.
const { OpenSSHAgent, utils } = ssh2;

/** An agent that lists only the identities whose public key is in `allowed` (IdentitiesOnly). */
class FilteredAgent extends OpenSSHAgent {
  constructor(
    socket: string,
    private readonly allowed: Buffer[],
  ) {
    super(socket);
  }
  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      const blob = (k: NonNullable<typeof keys>[number]) => ('getPublicSSH' in k ? k.getPublicSSH() : undefined);
      cb(err, (keys ?? []).filter((k) => this.allowed.some((a) => a.equals(blob(k) ?? Buffer.alloc(0)))));
    });
  }
}

/** A key file's public key, from its .pub or from the key itself when it is not encrypted. */
function publicBlob(file: string): Buffer | undefined {
  for (const data of [existsSync(`${file}.pub`) ? readFileSync(`${file}.pub`) : undefined, readFileSync(file)]) {
    if (!data) continue;
    const k = utils.parseKey(data);
    if (!(k instanceof Error)) return k.getPublicSSH();
  }
  return undefined;
}

export interface HopAuth {
  methods: (AgentAuthMethod | PublicKeyAuthMethod)[];
  /** What was not tried, and why (an encrypted key without agent or terminal): for the failure message. */
  notes: string[];
}

/** The methods to try for a hop, in order; `firstKey` is the scenario's `key:` (tried before IdentityFile). */
export async function hopAuth(ep: SshEndpoint, firstKey?: string): Promise<HopAuth> {
  const files = [...new Set([...(firstKey ? [firstKey] : []), ...ep.identityFiles])].filter((f) => existsSync(f));
  const methods: (AgentAuthMethod | PublicKeyAuthMethod)[] = [];
  const notes: string[] = [];
  if (ep.agentSocket && existsSync(ep.agentSocket)) {
    const onlyMine = ep.identitiesOnly || firstKey !== undefined;
    const allowed = onlyMine ? files.map(publicBlob).filter((b): b is Buffer => !!b) : [];
    methods.push({ type: 'agent', username: ep.user, agent: onlyMine ? new FilteredAgent(ep.agentSocket, allowed) : ep.agentSocket });
  }
  for (const file of files) {
    const data = readFileSync(file);
    let key = utils.parseKey(data);
    if (key instanceof Error && /passphrase/i.test(key.message)) {
      if (!process.stdin.isTTY) {
        notes.push(`${file} has a passphrase: add it to ssh-agent (ssh-add ${file}) or run vfbench on a terminal`);
        continue;
      }
      key = utils.parseKey(data, await askSecret(`passphrase for ${file}: `));
    }
    if (key instanceof Error) {
      notes.push(`${file}: ${key.message}`);
      continue;
    }
    methods.push({ type: 'publickey', username: ep.user, key });
  }
  if (methods.length === 0 && notes.length === 0) {
    notes.push(`no SSH key: no agent (SSH_AUTH_SOCK) and none of ${[...new Set([...(firstKey ? [firstKey] : []), ...ep.identityFiles])].join(', ') || 'the key files'} exists; set \`key:\` or IdentityFile, or start ssh-agent`);
  }
  return { methods, notes };
}
