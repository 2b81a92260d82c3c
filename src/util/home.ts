// vfbench's state directory: lab keys, known_hosts, inventory. $VFBENCH_HOME or ~/.vfbench.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function vfbenchHome(): string {
  return process.env.VFBENCH_HOME || join(homedir(), '.vfbench');
}

/** The default lab's name ($VFBENCH_LAB_PREFIX or vfb). */
export function defaultLabPrefix(): string {
  return process.env.VFBENCH_LAB_PREFIX || 'vfb';
}

/** A lab's folder: keys, known_hosts, inventory.json (`inventory: lab` in a scenario reads the default lab's). */
export function labDir(prefix: string, home = vfbenchHome()): string {
  return join(home, 'lab', prefix);
}
