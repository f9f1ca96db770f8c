// `make bench`: sidecar vs direct uvicorn, side by side in one run; writes docs/bench/latest.md.
import { main } from './lib/run.ts';

process.exitCode = await main(process.argv.slice(2));
