// Fault injection, for the fault suite (test/integration/faults.test.ts) and for anyone who wants to see a
// run survive a crash: VFBENCH_FAULT=<action>:<phase>[:<n>] acts the n-th time (default the first) this
// process reaches the phase. Unset (all real use), every fault point is one comparison and nothing else.
//   kill   SIGKILL of this process, as a power cut or the OOM killer would: no finally, no handler runs.
//   throw  an error thrown where no code catches it (a bug): the last-resort handler must restore.
//   fail   an ordinary error thrown at the point (a host or cloud call that failed).
import { fsyncSync, writeSync } from 'node:fs';
import { UserError } from './errors.js';

/** Where a fault can be injected: the phases of a trial, and the resume's first restore. */
export const FAULT_PHASES = {
  switching: 'a pair was switched to the trial\'s variant, before the trial records it',
  'server-start': 'the trial\'s servers run, the client is not started yet',
  measuring: 'the client measures',
  fetching: 'the first chunk of the trial\'s files arrived from a host',
  appending: 'half of the trial\'s record line is on disk (kill only: a torn line)',
  switchover: 'a live switchover is about to switch the path',
  'resume-restore': 'run --resume puts back the path state the earlier session recorded',
} as const;
export type FaultPhase = keyof typeof FAULT_PHASES;
const ACTIONS = ['kill', 'throw', 'fail'] as const;

interface Fault {
  action: (typeof ACTIONS)[number];
  phase: FaultPhase;
  nth: number;
}

let parsed: { text: string | undefined; fault: Fault | undefined } | undefined;
const reached = new Map<FaultPhase, number>();

/** The fault VFBENCH_FAULT asks for; a malformed value is a user error naming the variable. */
export function injectedFault(): Fault | undefined {
  const text = process.env.VFBENCH_FAULT;
  if (parsed && parsed.text === text) return parsed.fault;
  const fault = text ? parseFault(text) : undefined;
  parsed = { text, fault };
  reached.clear();
  return fault;
}

function parseFault(text: string): Fault {
  const [action, phase, nth, ...rest] = text.split(':');
  const bad = (why: string) => new UserError(`VFBENCH_FAULT=${text}: ${why} (the form is <${ACTIONS.join('|')}>:<phase>[:<n>], phases: ${Object.keys(FAULT_PHASES).join(', ')})`);
  if (!ACTIONS.includes(action as Fault['action'])) throw bad(`unknown action "${action}"`);
  if (!phase || !Object.hasOwn(FAULT_PHASES, phase)) throw bad(`unknown phase "${phase ?? ''}"`);
  if (rest.length > 0 || (nth !== undefined && !/^[1-9]\d{0,5}$/.test(nth))) throw bad('the count is a whole number from 1');
  if (phase === 'appending' && action !== 'kill') throw bad('appending takes kill only');
  return { action: action as Fault['action'], phase: phase as FaultPhase, nth: nth ? Number(nth) : 1 };
}

/**
 * A place a run can be made to fail. `tornWrite` (appending only) is what is on disk when the kill comes:
 * written synchronously to `fd` and fsynced first.
 */
export function faultPoint(phase: FaultPhase, tornWrite?: { fd: number; text: string }): void {
  const fault = injectedFault();
  if (fault?.phase !== phase) return;
  const n = (reached.get(phase) ?? 0) + 1;
  reached.set(phase, n);
  if (n !== fault.nth) return;
  const message = `fault injected by VFBENCH_FAULT=${process.env.VFBENCH_FAULT}`;
  if (fault.action === 'kill') {
    if (tornWrite) {
      writeSync(tornWrite.fd, tornWrite.text);
      fsyncSync(tornWrite.fd);
    }
    process.kill(process.pid, 'SIGKILL');
  }
  if (fault.action === 'throw') {
    setImmediate(() => {
      throw new Error(message);
    });
    return;
  }
  throw new Error(message);
}
