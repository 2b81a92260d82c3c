// vfbench's state directory: lab keys, known_hosts, inventory. $VFBENCH_HOME or ~/.vfbench.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function vfbenchHome(): string {
  return process.env.VFBENCH_HOME || join(homedir(), '.vfbench');
}
