// The Host abstraction: run commands, start/stop background processes, read files — the same way
// over SSH and on the local machine. Everything above this layer passes argv arrays, never strings.
import { command, quote, raw, positiveInt, port as checkPort, type Arg } from '../util/shell.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the process died from a signal or the command timed out. */
  code: number | null;
  timedOut: boolean;
}

export interface ExecOptions {
  /** Give up after this long (the remote command is signalled); default: the host's command timeout. */
  timeoutMs?: number;
  stdin?: string;
}

export class HostCommandError extends Error {
  constructor(
    readonly host: string,
    readonly cmd: string,
    readonly result: ExecResult,
  ) {
    const why = result.timedOut ? 'timed out' : `exit ${result.code}`;
    super(`${host}: \`${cmd}\` failed (${why}): ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
    this.name = 'HostCommandError';
  }
}

export interface BackgroundProcess {
  pid: number;
  stdoutPath: string;
  stderrPath: string;
  /** Where the exit status is written when the process ends (start with `exitCode: true`). */
  rcPath?: string;
  /** Wall-clock start and end, one epoch per line (start with `stamp: true`). */
  timesPath?: string;
}

/** The start and end epochs a stamped process wrote. */
export function parseTimes(text: string | undefined): { start?: number; end?: number } {
  const [start, end] = (text ?? '').split('\n').map((l) => Number(l.trim())).filter((n) => Number.isFinite(n) && n > 0);
  return { start, end };
}

/**
 * Shell test that succeeds when the process is gone. A zombie still answers `kill -0`, so the state
 * letter in /proc/PID/stat is read instead.
 */
function processGone(pid: number): string {
  positiveInt(pid, 'pid');
  return `{ s=$(cut -d')' -f2- /proc/${pid}/stat 2>/dev/null | cut -c2); [ -z "$s" ] || [ "$s" = Z ]; }`;
}

/** Shell loop polling every 50 ms until `test` succeeds (exit 0) or `timeoutMs` passes (exit 3). */
export function pollUntil(test: string, timeoutMs: number): string {
  const tries = Math.max(1, Math.ceil(timeoutMs / 50));
  return `i=0; while [ $i -lt ${tries} ]; do ${test} && exit 0; sleep 0.05; i=$((i+1)); done; exit 3`;
}

/**
 * Shell commands that stop a process and everything in its session: SIGTERM, then SIGKILL after
 * `graceMs`; prints "stopped" or "killed". Waits for the whole group, not only its leader.
 */
function stopScript(pid: number, graceMs: number): string {
  positiveInt(pid, 'pid');
  // `kill -s SIG -- -PID` is the POSIX form for a group (dash refuses `kill -TERM -- -PID`). Zombies
  // do not count: an init that reaps slowly leaves them behind, but they run nothing.
  const groupGone = `{ ! ps -o stat= -s ${pid} 2>/dev/null | grep -qv '^ *Z'; }`;
  return (
    `kill -s TERM -- -${pid} 2>/dev/null || kill -s TERM ${pid} 2>/dev/null; ` +
    `if (${pollUntil(groupGone, graceMs)}); then echo stopped; else ` +
    `kill -s KILL -- -${pid} 2>/dev/null; kill -s KILL ${pid} 2>/dev/null; (${pollUntil(groupGone, 2000)}); echo killed; fi`
  );
}

/** Shell test that succeeds when something listens on the local TCP or UDP port. */
function listening(protocol: 'tcp' | 'udp', portNo: number): string {
  checkPort(portNo);
  return `[ -n "$(ss ${protocol === 'tcp' ? '-Hltn' : '-Hlun'} 'sport = :${portNo}')" ]`;
}

/** What a transport must provide; the rest of Host is built on top of `execString`. */
export abstract class Host {
  constructor(readonly name: string) {}

  /** Run a shell command line (already built by `command()`); implementations must not throw on non-zero. */
  protected abstract runString(cmd: string, opts: ExecOptions & { timeoutMs: number }): Promise<ExecResult>;

  /** Default bound on one command, from the scenario's `ssh.command_timeout`. */
  protected abstract readonly commandTimeoutMs: number;

  /**
   * Every command runs under coreutils `timeout` on the host itself, so a command that hangs is
   * ended there and not only abandoned here. Exit 124/137 from the wrapper means "timed out".
   */
  private async execString(cmd: string, opts: ExecOptions): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    const secs = Math.max(0.1, timeoutMs / 1000).toFixed(1);
    const wrapped = `timeout -k 1 ${secs} sh -c ${quote(cmd)}`;
    const t0 = performance.now();
    const r = await this.runString(wrapped, { ...opts, timeoutMs: timeoutMs + 5000 });
    // VFBENCH_TRACE=1: every remote command with its duration, for debugging slow or stuck runs.
    if (process.env.VFBENCH_TRACE) {
      process.stderr.write(`[trace] ${this.name} ${(performance.now() - t0).toFixed(0)}ms rc=${r.code} ${cmd.slice(0, 160)}\n`);
    }
    if (r.code === 124 || r.code === 137) return { ...r, code: null, timedOut: true };
    return r;
  }

  abstract close(): Promise<void>;

  /** Open the connection again (after the machine restarted), retrying until timeoutMs. */
  async reconnect(timeoutMs: number): Promise<void> {
    void timeoutMs; // nothing to do for hosts without a connection
  }

  /** Human description for logs, e.g. root@198.18.0.11 (never a key or password). */
  abstract describe(): string;

  exec(argv: readonly Arg[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.execString(command(argv), opts);
  }

  /** Like exec, but a non-zero exit is an error. Returns stdout. */
  async run(argv: readonly Arg[], opts: ExecOptions = {}): Promise<string> {
    const cmd = command(argv);
    const r = await this.execString(cmd, opts);
    if (r.code !== 0) throw new HostCommandError(this.name, cmd, r);
    return r.stdout;
  }

  /**
   * Start argv in the background in its own session (so that stop() reaches its children), with
   * stdout/stderr to files in `dir`. Returns the PID of the process itself.
   */
  async start(
    argv: readonly Arg[],
    dir: string,
    label: string,
    opts: {
      exitCode?: boolean;
      ready?: { protocol: 'tcp' | 'udp'; port: number; timeoutMs: number };
      /** Start at this wall-clock time (epoch seconds) on the host: the barrier of pairs run together. */
      at?: number;
      /** Write the wall-clock start (and, with exitCode, end) time to `timesPath`. */
      stamp?: boolean;
    } = {},
  ): Promise<BackgroundProcess & { ready?: boolean }> {
    const stdoutPath = `${dir}/${label}.stdout`;
    const stderrPath = `${dir}/${label}.stderr`;
    const rcPath = opts.exitCode ? `${dir}/${label}.rc` : undefined;
    const timesPath = opts.stamp ? `${dir}/${label}.times` : undefined;
    const redirect = `>${quote(stdoutPath)} 2>${quote(stderrPath)} </dev/null`;
    let prologue = '';
    if (opts.at !== undefined) {
      if (!Number.isFinite(opts.at) || opts.at <= 0) throw new Error(`start time must be an epoch in seconds, got ${opts.at}`);
      const at = opts.at.toFixed(6);
      prologue += `d=$(awk -v t=${at} -v n=$(date +%s.%N) 'BEGIN { d = t - n; if (d > 0) printf "%.6f", d; else print 0 }'); sleep "$d"; `;
    }
    if (timesPath) prologue += `date +%s.%N >${quote(timesPath)}; `;
    const epilogue = timesPath ? `; date +%s.%N >>${quote(timesPath)}` : '';
    // With an exit code the PID is the wrapping shell's; stop() signals the whole session either way.
    const inner = prologue + (rcPath ? `${command(argv)} ${redirect}; echo $? >${quote(rcPath)}${epilogue}` : `exec ${command(argv)} ${redirect}`);
    // Readiness is polled in the same round trip: on a distant host every round trip counts.
    const ready = opts.ready ? raw(`; if (${pollUntil(listening(opts.ready.protocol, opts.ready.port), opts.ready.timeoutMs)}); then echo ready; fi`) : raw('');
    const out = await this.run([raw('mkdir -p'), dir, raw('&& { setsid sh -c'), inner, raw('</dev/null >/dev/null 2>&1 & echo $!; }'), ready]);
    const [first, second] = out.trim().split('\n');
    const pid = Number(first);
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${this.name}: could not start ${label}: got "${out.trim()}"`);
    return { pid, stdoutPath, stderrPath, rcPath, timesPath, ready: opts.ready ? second === 'ready' : undefined };
  }

  async isAlive(pid: number): Promise<boolean> {
    const r = await this.exec([raw(processGone(pid))]);
    return r.code !== 0;
  }

  /**
   * Wait (on the host) until the process has ended, at most timeoutMs; `timedOut` when still running.
   * A process started with `exitCode: true` leaves its status in `rcPath` (read it with readFiles).
   */
  async waitExit(proc: BackgroundProcess, timeoutMs: number): Promise<{ timedOut: boolean }> {
    const r = await this.exec([raw(pollUntil(processGone(proc.pid), timeoutMs))], { timeoutMs: timeoutMs + 10_000 });
    return { timedOut: r.code !== 0 };
  }

  /**
   * Stop a background process and everything in its session: SIGTERM, then SIGKILL after `graceMs`.
   * Waits for the whole group, not only its leader: a tool can outlive the shell that started it.
   * Returns whether it had to be killed.
   */
  async stop(pid: number, graceMs = 2000): Promise<{ killed: boolean }> {
    const out = await this.run([raw(stopScript(pid, graceMs))]);
    return { killed: out.trim() === 'killed' };
  }

  async readFile(path: string): Promise<string> {
    return this.run(['cat', '--', path]);
  }

  /**
   * Read several files in one round trip (base64-framed, so any bytes survive). A file that does not
   * exist or cannot be read maps to undefined. `stopFirst`: processes to stop (as stop()) before reading.
   */
  async readFiles(paths: readonly string[], opts: { stopFirst?: readonly number[] } = {}): Promise<Map<string, Buffer | undefined>> {
    const result = new Map<string, Buffer | undefined>();
    if (paths.length === 0) return result;
    // Processes whose output is read can be stopped in the same round trip (their "stopped" lines go to /dev/null).
    const stops = (opts.stopFirst ?? []).map((pid) => raw(`{ ${stopScript(pid, 2000)}; } >/dev/null;`));
    const out = await this.run([
      ...stops,
      raw('for f in'),
      ...paths,
      raw('; do if [ -f "$f" ] && [ -r "$f" ]; then printf "+"; base64 -w0 < "$f"; echo; else echo "-"; fi; done'),
    ]);
    const lines = out.split('\n');
    paths.forEach((p, i) => {
      const line = lines[i] ?? '-';
      result.set(p, line.startsWith('+') ? Buffer.from(line.slice(1), 'base64') : undefined);
    });
    return result;
  }

  /** Wait until something listens on the port (TCP or UDP), polling on the host itself; bounded by timeoutMs. */
  async waitListening(protocol: 'tcp' | 'udp', portNo: number, timeoutMs: number): Promise<void> {
    const r = await this.exec([raw(pollUntil(listening(protocol, portNo), timeoutMs))]);
    if (r.code !== 0) throw new Error(`${this.name}: nothing listens on ${protocol} port ${portNo} after ${timeoutMs} ms`);
  }

  /** A fresh scratch directory on the host. */
  async mkdtemp(prefix: string): Promise<string> {
    return (await this.run(['mktemp', '-d', `/tmp/${prefix}.XXXXXX`])).trim();
  }
}
