// A secret asked on the terminal (a key's passphrase): not echoed, never stored or logged.
import { read } from 'read';

export async function askSecret(prompt: string): Promise<string> {
  return read({ prompt, silent: true, replace: '', output: process.stderr, timeout: 120_000 });
}
