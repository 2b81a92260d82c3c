// Commands of the lab builder: a failure says which command and why.
import { execa } from 'execa';
import { EnvironmentError } from '../util/errors.js';

export async function run(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw new EnvironmentError(`lab: \`${[cmd, ...args].join(' ')}\` failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** A command inside a network namespace. */
export const inNs = (ns: string, cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);
