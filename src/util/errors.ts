// Errors that the CLI prints without a stack trace (the message is meant for the user), and the exit
// codes every command uses (README "Exit codes"): a CI job can tell a regression from a failed trial, a
// typo from an unreachable host.
export const EXIT = {
  ok: 0,
  /** Some trials failed or were invalid (the run itself completed). */
  trials: 1,
  /** Bad usage or input: unknown flag, missing argument, invalid scenario or file. */
  usage: 2,
  /** compare / nightly found a regression. */
  regression: 3,
  /** Hosts unreachable or refused, a missing system tool, not root for the lab: the environment, not the input. */
  environment: 4,
  /** A bug in vfbench (an unexpected error): please report it with VFBENCH_DEBUG=1 output. */
  internal: 70,
  interrupted: 130,
} as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A problem of the hosts or the machine (exit 4), not of what the user typed. */
export class EnvironmentError extends UserError {
  constructor(message: string) {
    super(message, EXIT.environment);
    this.name = 'EnvironmentError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
