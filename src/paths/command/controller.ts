// command: the user's own apply / verify / restore shell commands per variant, for any platform vfbench
// has no controller for. They run with sh -c on both hosts of the pair, on this machine, or on one named
// host, each bounded by the variant's timeout, and their output is kept in the run directory.
import type { Host } from '../../hosts/host.js';
import type { VariantSpec } from '../../scenario/schema.js';
import type { CommandVariant } from './schema.js';
import type { ControllerContext, OriginalState, PairHosts, PathController } from '../controller.js';
import { errorMessage } from '../../util/errors.js';
import { redact, resolveSecrets } from '../../util/secrets.js';

/** The hosts a command variant runs on. */
function targets(ctx: ControllerContext, pair: PairHosts, v: CommandVariant): Host[] {
  if (v.on === 'both') return [pair.client, pair.server];
  if (v.on === 'local') return [ctx.local];
  const h = ctx.hosts.get(v.on);
  if (!h) throw new Error(`command variant: host ${v.on} is not connected`);
  return [h];
}

export function describeCommand(pair: { client: string; server: string }, v: CommandVariant): string[] {
  const on = v.on === 'both' ? [pair.client, pair.server] : [v.on];
  return on.flatMap((h) => [`${h}: sh -c ${JSON.stringify(v.apply)}`, ...(v.verify ? [`${h}: sh -c ${JSON.stringify(v.verify)}   (verify)`] : [])]);
}

/** Run one of the user's commands on a host; its output is kept whatever happens. */
export async function runUserCommand(ctx: Pick<ControllerContext, 'keep'>, host: Host, text: string, timeoutS: number, label: string): Promise<void> {
  // `${env:NAME}` is resolved here, for the host only; what is kept and said shows the reference. A command
  // with a secret in it goes to sh on its stdin, not in an argument list every user of the host can read in
  // /proc (the programs it starts still show theirs: prefer ones that read a secret from the environment).
  const resolved = resolveSecrets(text);
  const r =
    resolved === text
      ? await host.exec(['sh', '-c', text], { timeoutMs: timeoutS * 1000 })
      : await host.exec(['sh', '-c', 'script=$(cat) && eval "$script"'], { timeoutMs: timeoutS * 1000, stdin: resolved });
  await ctx.keep(`${label}.${host.name}`, r);
  if (r.timedOut) throw new Error(`${host.name}: \`${redact(text)}\` did not finish within ${timeoutS}s`);
  if (r.code !== 0) throw new Error(`${host.name}: \`${redact(text)}\` exited ${r.code}: ${redact((r.stderr || r.stdout).trim()).slice(0, 300)}`);
}

export class CommandController implements PathController {
  readonly name = 'command';
  /** The restore to run per target host, recorded from the first command variant that touches it. */
  private readonly toRestore = new Map<string, { host: Host; restore: string; timeout: number }>();
  private steps = 0;

  constructor(private readonly ctx: ControllerContext) {}

  private variant(v: VariantSpec): CommandVariant {
    if (v.controller !== 'command') throw new Error(`command cannot apply a ${v.controller} variant`);
    return v;
  }

  async prepare(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    for (const host of targets(this.ctx, pair, v)) {
      if (!this.toRestore.has(host.name)) this.toRestore.set(host.name, { host, restore: v.restore, timeout: v.timeout });
    }
  }

  async apply(pair: PairHosts, variant: VariantSpec): Promise<void> {
    const v = this.variant(variant);
    const step = ++this.steps;
    const on = targets(this.ctx, pair, v);
    await Promise.all(on.map((h) => runUserCommand(this.ctx, h, v.apply, v.timeout, `controller-${step}-apply`)));
    if (v.verify) {
      const verify = v.verify;
      await Promise.all(
        on.map((h) =>
          runUserCommand(this.ctx, h, verify, v.timeout, `controller-${step}-verify`).catch((err) => {
            throw new Error(`the variant is not in effect (verify failed): ${errorMessage(err)}`);
          }),
        ),
      );
    }
    if (v.settle > 0) await new Promise((r) => setTimeout(r, v.settle * 1000));
  }

  originals(): OriginalState[] {
    return [...this.toRestore.values()].map((o) => ({ controller: this.name, host: o.host.name, state: { restore: o.restore, timeout: o.timeout } }));
  }

  async restore(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.toRestore.values()].map((o) =>
        runUserCommand(this.ctx, o.host, o.restore, o.timeout, 'controller-restore').catch((err) => {
          problems.push(`${o.host.name}: restore failed: ${errorMessage(err)}`);
        }),
      ),
    );
    return problems;
  }
}
