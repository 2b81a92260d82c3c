// `vfbench run --dry-run`: every command the run would send, in order, without connecting anywhere.
import type { Scenario } from '../scenario/load.js';
import { makePlan } from '../scenario/plan.js';
import { command } from '../util/shell.js';
import { controllerOf } from '../paths/registry.js';
import { toolOf } from '../tools/registry.js';
import { backgroundPlan, backgroundSeconds } from './background.js';

export function dryRunLines(s: Scenario): string[] {
  const plan = makePlan(s);
  const lines: string[] = [];
  const current = new Map<number, string>();
  const touched = new Map<string, string>();
  const hosts = [...new Set(s.pairs.flatMap((p) => [p.client, p.server]))];
  lines.push(`# connect: one SSH login per host (${hosts.join(', ')}) for the whole run, starting the vfbench agent (python3; its source is sent over the channel)`);
  for (const t of plan.trials) {
    const pair = s.pairs[t.point.pair]!;
    const v = s.variants[t.variant]!;
    if (current.get(t.point.pair) !== t.variant) {
      lines.push(`# switch ${pair.client}->${pair.server} to ${t.variant} (${v.controller})`);
      const c = controllerOf(v);
      lines.push(...c.describeApply(pair, v));
      current.set(t.point.pair, t.variant);
      for (const [what, line] of c.describeUndo(pair, v)) touched.set(what, line);
    }
    const test = s.tests[t.point.test]!;
    const mps = pair.group ? s.groups?.[pair.group]?.mps : undefined;
    const tool = toolOf(test);
    const run = tool.run(test, t.point, { serverAddress: s.hosts[pair.server]!.data, clientDir: '/tmp/vfbench.RUN', trialId: t.id, mps });
    lines.push(`# trial ${t.id}${t.batch ? ` (batch ${t.batch}: all pairs start together)` : ''}`);
    if (s.sampling) {
      for (const h of [pair.server, pair.client]) lines.push(`${h}: sample /proc/stat and /proc/net/dev every ${s.sampling.interval}s in the agent until the trial ends   (sampler; no process)`);
    }
    if (run.server) lines.push(`${pair.server}: ${command(run.server.argv)} &   (until ${run.server.ready.protocol} port ${run.server.ready.port} listens; stopped after the trial)`);
    const { background: bg, switchover } = test;
    if (bg && (t.point.rate ?? 0) > 0) {
      const p = backgroundPlan(bg, { address: s.hosts[pair.server]!.data, rate: t.point.rate!, size: bg.size ?? t.point.size, seconds: backgroundSeconds(bg, tool.startupS, run.client.seconds) });
      lines.push(`${pair.server}: ${command(p.server.argv)} &   (background load's server)`);
      lines.push(`${pair.client}: ${command(p.client.argv)} &   (background load, ${bg.lead}s before the test)`);
    }
    lines.push(`${pair.client}: ${command(run.client.argv)}`);
    if (switchover) {
      for (const step of switchover.steps) lines.push(`# at ${step.at}s into the measurement: switch ${pair.client}->${pair.server} to ${step.variant} (as above)`);
      current.set(t.point.pair, switchover.steps[switchover.steps.length - 1]!.variant);
    }
  }
  lines.push('# on exit (success, failure, Ctrl-C, SIGTERM): restore', ...touched.values());
  return lines;
}
