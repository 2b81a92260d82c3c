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

/** The public keys the agent holds (none when it does not answer within 5 s). */
function agentKeys(socket: string): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), 5000);
    new OpenSSHAgent(socket).getIdentities((err, keys) => {
      clearTimeout(timer);
      resolve(err ? [] : (keys ?? []).flatMap((k) => ('getPublicSSH' in k ? [k.getPublicSSH()] : [])));
    });
  });
}

/**
 * The methods to try for a hop, in order; `firstKey` is the scenario's `key:` (tried before IdentityFile).
 * `unlocked` keeps keys decrypted with a typed passphrase for this host's later reconnects (memory only).
 * A passphrase is asked only for a key the agent does not hold.
 */
export async function hopAuth(ep: SshEndpoint, firstKey: string | undefined, unlocked: Map<string, ParsedKey>): Promise<HopAuth> {
  const candidates = [...new Set([...(firstKey ? [firstKey] : []), ...ep.identityFiles])];
  const files = candidates.filter((f) => existsSync(f));
  const methods: (AgentAuthMethod | PublicKeyAuthMethod)[] = [];
  const notes: string[] = [];
  const agent = ep.agentSocket && existsSync(ep.agentSocket) ? ep.agentSocket : undefined;
  const held = agent ? await agentKeys(agent) : [];
  if (agent) {
    const onlyMine = ep.identitiesOnly || firstKey !== undefined;
    const allowed = onlyMine ? files.map(publicBlob).filter((b): b is Buffer => !!b) : [];
    methods.push({ type: 'agent', username: ep.user, agent: onlyMine ? new FilteredAgent(agent, allowed) : agent });
  }
  for (const file of files) {
    let key = unlocked.get(file) ?? utils.parseKey(readFileSync(file));
    if (key instanceof Error && /passphrase/i.test(key.message)) {
      const pub = publicBlob(file);
      if (pub && held.some((h) => h.equals(pub))) continue; // the agent holds it, and is tried first
      if (!process.stdin.isTTY) {
        notes.push(`${file} has a passphrase: add it to ssh-agent (ssh-add ${file}) or run vfbench on a terminal`);
        continue;
      }
      key = utils.parseKey(readFileSync(file), await askSecret(`passphrase for ${file}: `));
    }
    if (key instanceof Error) {
      notes.push(`${file}: ${key.message}`);
      continue;
    }
    unlocked.set(file, key);
    methods.push({ type: 'publickey', username: ep.user, key });
  }
  if (methods.length === 0 && notes.length === 0) {
    notes.push(`no SSH key: no agent (SSH_AUTH_SOCK) and none of ${candidates.join(', ') || 'the key files'} exists; set \`key:\` or IdentityFile, or start ssh-agent`);
  }
  return { methods, notes };
}
