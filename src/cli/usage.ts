// Usage errors of the command line: they stop a command before anything runs (exit 2), and say what was
// probably meant ("--repaet: did you mean --repeat?", "plna: did you mean the command plan?").
import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../util/errors.js';

/** What yargs hands to its fail handler: the usage of the command that failed, with its options. */
export interface UsageOf {
  getDescriptions(): Record<string, unknown>;
  getUsage(): [string, string][];
}

export class UsageError extends UserError {}

const near = (word: string, names: string[]) => {
  const c = names.length > 0 ? closest(word, names) : undefined;
  return c && distance(word, c) <= Math.max(2, Math.floor(word.length / 3)) ? c : undefined;
};

/** yargs' failure message, made specific: the usage line of the command, a suggestion per unknown word. */
export function usageMessage(msg: string, y: UsageOf | undefined, commands: string[]): string {
  const usage = y?.getUsage()[0]?.[0]?.split('\n')[0]!.replace('$0', 'vfbench');
  if (/^Not enough non-option arguments/.test(msg) && usage) return `missing argument: vfbench ${usage.replace(/^vfbench /, '')}`;
  const m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!m || !y) return msg;
  const options = Object.keys(y.getDescriptions()).filter((k) => k.length > 1);
  const hints = m[1]!.split(', ').map((arg) => {
    const option = near(arg, options);
    if (option) return `  ${arg}: did you mean --${option}?`;
    const command = near(arg, commands);
    if (command) return `  ${arg}: did you mean the command ${command}?`;
    return `  ${arg}: not an option or argument of ${usage && usage !== 'vfbench' ? usage : 'vfbench'}`;
  });
  return `${msg}\n${hints.join('\n')}`;
}
