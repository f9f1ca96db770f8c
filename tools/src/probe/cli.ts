// cors-probe command line: parse arguments, run the probe, print the report, set the exit code.
import { HELP, parseCommand } from './args.ts';
import { formatJson, formatPlain, formatTable, useColor } from './report.ts';
import { runProbe } from './run.ts';
import { ProbeUsageError, TargetUnreachableError } from './types.ts';

// A closed pipe (`cors-probe ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    if (cmd.kind === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    const report = await runProbe(cmd.options);
    const out = cmd.json
      ? formatJson(report)
      : process.stdout.isTTY
        ? formatTable(report, { color: useColor(process.stdout.isTTY, process.env) })
        : formatPlain(report);
    process.stdout.write(out);
    return report.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof ProbeUsageError) {
      process.stderr.write(`cors-probe: ${err.message}\nTry 'cors-probe --help'.\n`);
    } else if (err instanceof TargetUnreachableError) {
      process.stderr.write(`cors-probe: ${err.message}\n`);
    } else {
      process.stderr.write(`cors-probe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
