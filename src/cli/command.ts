// What every command module exports, and what they share: output, host options, figure warnings.
// Command modules load only yargs definitions up front; their work is imported when they run.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { RenderedFigure } from '../charts/render.js';

/** A vfbench command: yargs' command module, its handler returning the exit code (none: 0). */
export interface Command<A = unknown> {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<A>;
  handler: (argv: ArgumentsCamelCase<A>) => Promise<number | void>;
}

/** A command of the list in main.ts (its arguments' type erased there). */
export const command = <A>(c: Command<A>): Command => c as unknown as Command;

export const out = (s: string) => process.stdout.write(s + '\n');
export const err = (s: string) => process.stderr.write(s + '\n');

/** How commands that reach hosts find them and trust their keys. */
export const HOST_OPTIONS = {
  'accept-new-host-keys': { type: 'boolean', default: false, describe: 'add unknown host keys to known_hosts (a changed key is still refused)' },
  'ssh-config': { type: 'string', describe: 'ssh_config file to read instead of the scenario\'s ssh.config or ~/.ssh/config (Host aliases, ProxyJump, keys)' },
} as const;

/** Figures written without a part (no PDF without rsvg-convert): said once on stderr. */
export function warnFigures(figs: RenderedFigure[]): void {
  for (const w of new Set(figs.flatMap((f) => (f.warning ? [f.warning] : [])))) err(`warning: ${w}`);
}

/** `--label k=v` (repeatable) of run and nightly. */
export const LABEL_OPTION = {
  label: { type: 'string', array: true, describe: 'a label of the run, name=value (repeatable; over the scenario\'s labels: and the hosts\' facts)' },
} as const;
