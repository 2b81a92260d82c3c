// The local machine as a Host (scenario `ssh: local`), through execa.
import { execa } from 'execa';
import { Host, type ExecOptions, type ExecResult } from './host.js';

export class LocalHost extends Host {
  constructor(
    name: string,
    protected readonly commandTimeoutMs: number,
  ) {
    super(name);
  }

  describe(): string {
    return 'local';
  }

  protected async runString(cmd: string, opts: ExecOptions & { timeoutMs: number }): Promise<ExecResult> {
    const r = await execa('sh', ['-c', cmd], {
      reject: false,
      input: opts.stdin,
      stdin: opts.stdin === undefined ? 'ignore' : undefined,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      stripFinalNewline: false,
    });
    return { stdout: r.stdout, stderr: r.stderr, code: r.timedOut ? null : (r.exitCode ?? null), timedOut: r.timedOut };
  }

  async close(): Promise<void> {}
}
