// The local machine as a Host (scenario `ssh: local`, and the machine cloud CLIs run on): the same
// agent as on remote hosts, started as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex, type Readable } from 'node:stream';
import { Host, type HostOptions } from './host.js';

export class LocalHost extends Host {
  private children = new Set<ChildProcess>();

  constructor(name: string, commandTimeoutMs: number, opts: Partial<HostOptions> = {}) {
    super({ name, commandTimeoutMs, ...opts });
  }

  /** A local host with its agent running. */
  static async start(name: string, commandTimeoutMs: number, label = 'vfbench'): Promise<LocalHost> {
    const h = new LocalHost(name, commandTimeoutMs);
    await h.open(label);
    return h;
  }

  describe(): string {
    return 'local';
  }

  protected async connectTransport(): Promise<void> {}

  protected async execChannel(cmd: string): Promise<{ stream: Duplex; stderr?: Readable }> {
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    // The agent sets its stdio non-blocking; ours are its pipes, so nothing here blocks.
    const stream = Duplex.from({ writable: child.stdin!, readable: child.stdout! });
    // 'close', not 'exit': the child's last output (an answer, why it could not start) is read first.
    child.on('close', () => stream.destroy());
    return { stream, stderr: child.stderr! };
  }

  protected socketChannel(path: string): Promise<Duplex | undefined> {
    return new Promise((resolve) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
  }

  protected async closeTransport(): Promise<void> {
    for (const c of this.children) c.stdin?.end();
  }
}
