// `vfbench parse TOOL FILE`: metrics from a tool output saved by hand (src/cli/parse.ts does the work).
import { command, err, out } from '../command.js';
import { EXIT, UserError } from '../../util/errors.js';
import { PARSE_TOOLS, type Parsed } from '../parse.js';

function printParsed(file: string, p: Parsed): void {
  out(`${file}: ${p.tool}${p.version ? ` ${p.version}` : ''}, from the ${p.source}${p.latencyKind ? `, latency ${p.latencyKind === 'rtt' ? 'full round trip' : 'RTT/2'}` : ''}`);
  const width = Math.max(...Object.keys(p.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(p.metrics)) out(`  ${k.padEnd(width)}  ${v}`);
}

export default command({
  command: 'parse <tool> <file>',
  describe: 'metrics from a tool output saved by hand (the shape of a record\'s metrics)',
  builder: (y) =>
    y
      .positional('tool', { choices: PARSE_TOOLS, demandOption: true, describe: 'the tool that wrote the file' })
      .positional('file', { type: 'string', demandOption: true, describe: 'its output, saved by hand (any size for a sockperf full log)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
      .example('$0 parse sockperf run1.fulllog.csv', 'pooled percentiles of a full log, as a record holds them')
      .option('test', { type: 'string', describe: 'netperf test (TCP_RR …) for output without a banner' })
      .option('size', { type: 'number', describe: 'message size, for sockperf throughput output' }),
  handler: async (argv) => {
    const { parseSavedFile } = await import('../parse.js');
    const r = await parseSavedFile(argv.tool, argv.file, { test: argv.test, size: argv.size }).catch((e: Error) => {
      throw new UserError(`cannot read ${argv.file}: ${e.message}`);
    });
    if (!r.ok) {
      if (argv.json) out(JSON.stringify({ tool: argv.tool, failure: r.failure }, null, 2));
      else err(`${argv.file}: ${r.failure.kind}: ${r.failure.message}`);
      return EXIT.trials;
    }
    if (argv.json) out(JSON.stringify(r.value, null, 2));
    else printParsed(argv.file, r.value);
  },
});
