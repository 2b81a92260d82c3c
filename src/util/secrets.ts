// Secrets in the user's commands: written `${env:NAME}` in a scenario, resolved from vfbench's own
// environment only when the command runs, never stored. And a last line of defence for what vfbench
// stores or prints (manifest, kept outputs, messages): known secret values and token-like text are redacted.
import { EnvironmentError } from './errors.js';

const REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The environment variables a text refers to. */
export function secretRefs(text: string): string[] {
  return [...new Set([...text.matchAll(REF)].map((m) => m[1]!))];
}

/** Every value resolved so far this run: redacted wherever text is stored or printed. */
const known = new Map<string, string>();

/** The text with its `${env:NAME}` references resolved (for running it, never for storing it). */
export function resolveSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(REF, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new EnvironmentError(`\${env:${name}} is not set in vfbench's environment`);
    if (v.length >= 4) known.set(v, `\${env:${name}}`);
    return v;
  });
}

/** Check that every reference can be resolved, before anything runs. */
export function checkSecrets(texts: string[], env: NodeJS.ProcessEnv = process.env): void {
  const missing = [...new Set(texts.flatMap(secretRefs))].filter((n) => !env[n]);
  if (missing.length > 0) throw new EnvironmentError(`the scenario's commands refer to ${missing.map((n) => `\${env:${n}}`).join(', ')}, not set in vfbench's environment`);
}

/** Forms that are a secret wherever they appear (redacted when stored, refused in a command). */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const AWS_KEY = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;
const GITHUB_TOKEN = /\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b/g;
const SLACK_TOKEN = /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g;

/**
 * Token-like text (documented in the README's Security section): key=value / key: value where the key says
 * token, password, secret, api key or signature; Authorization headers; AWS access keys; GitHub and Slack
 * tokens; JWTs; private key blocks.
 */
const PATTERNS: [RegExp, string][] = [
  [PRIVATE_KEY, '[redacted private key]'],
  [/\b((?:[A-Za-z0-9_-]*)(?:token|passw(?:or)?d|secret|api[_-]?key|access[_-]?key|sig|signature)[A-Za-z0-9_-]*)(\s*[:=]\s*|\s+)(["']?)[^\s"'&;]{4,}\3/gi, '$1$2$3[redacted]$3'],
  [/\b(Authorization:\s*(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [AWS_KEY, '[redacted AWS key]'],
  [GITHUB_TOKEN, '[redacted token]'],
  [SLACK_TOKEN, '[redacted token]'],
  [JWT, '[redacted token]'],
];

/**
 * A secret written into a command instead of referred to (what would be stored with the scenario): the
 * unmistakable forms only (key blocks, Authorization headers, cloud and chat tokens, JWTs, and
 * token/password/secret=value with a literal value), so that ordinary commands are never refused.
 */
const INLINE: [RegExp, string][] = [
  [PRIVATE_KEY, 'a private key'],
  [/\bAuthorization:\s*(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/i, 'an Authorization header'],
  [AWS_KEY, 'an AWS access key'],
  [GITHUB_TOKEN, 'a GitHub token'],
  [SLACK_TOKEN, 'a Slack token'],
  [JWT, 'a JWT'],
  [/\b[A-Za-z0-9_-]*(?:token|passw(?:or)?d|secret|api[_-]?key)[A-Za-z0-9_-]*\s*[:=]\s*["']?(?![$"'])[^\s"'&;]{6,}/i, 'a token, password or secret given as key=value'],
];

export function inlineSecret(text: string): string | undefined {
  // search() ignores a regex's global flag and lastIndex, so the shared /g forms can be asked as they are.
  return INLINE.find(([re]) => text.search(re) !== -1)?.[1];
}

/** A scenario's text as the manifest keeps it: its comment lines redacted (its values are what runs). */
export function redactComments(yaml: string): string {
  return yaml
    .split('\n')
    .map((l) => (/^\s*#/.test(l) ? redact(l) : l))
    .join('\n');
}

/** Text as it may be stored or printed: resolved secrets back to their reference, token-like text hidden. */
export function redact(text: string): string {
  let out = text;
  for (const [value, ref] of known) out = out.split(value).join(ref);
  for (const [re, by] of PATTERNS) out = out.replace(re, by);
  return out;
}
