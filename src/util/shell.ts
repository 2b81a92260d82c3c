// The one place where values become shell text. Every command that reaches a remote (or local)
// shell is built as an argv array of validated values and turned into a string here.
import { isIP } from 'node:net';

/** A value that was built by `raw()`: shell syntax written by vfbench itself (redirections, `&&`). */
export class Raw {
  constructor(readonly text: string) {}
}

/** Mark a fixed piece of shell syntax from vfbench's own source. Never pass user input here. */
export function raw(text: string): Raw {
  return new Raw(text);
}

export type Arg = string | number | Raw;

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quote one argument; plain words stay readable in logs. */
export function quote(arg: string | number): string {
  const s = String(arg);
  if (s.length > 0 && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Build a command line from argv; Raw parts are inserted as they are. */
export function command(argv: readonly Arg[]): string {
  return argv.map((a) => (a instanceof Raw ? a.text : quote(a))).join(' ');
}

export class InvalidValue extends Error {}

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Linux interface names: at most 15 characters, no slash or space. */
export function ifname(name: string): string {
  if (!IFNAME.test(name) || name === '.' || name === '..') {
    throw new InvalidValue(`not a valid interface name: ${JSON.stringify(name)}`);
  }
  return name;
}

export function ipAddress(addr: string): string {
  if (isIP(addr) === 0) throw new InvalidValue(`not an IP address: ${JSON.stringify(addr)}`);
  return addr;
}

export function port(p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidValue(`not a TCP/UDP port: ${p}`);
  return p;
}

export function positiveInt(n: number, what = 'value'): number {
  if (!Number.isInteger(n) || n < 1) throw new InvalidValue(`${what} must be a positive integer, got ${n}`);
  return n;
}

/** Absolute POSIX path without NUL or newline (paths may still contain spaces: quote() handles those). */
export function absPath(p: string): string {
  if (!p.startsWith('/') || /[\0\n]/.test(p)) throw new InvalidValue(`not an absolute path: ${JSON.stringify(p)}`);
  return p;
}
