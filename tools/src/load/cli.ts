// `make load`: demo traffic against the sidecar and direct mode side by side; settings from LOAD_* (LOAD_HELP=1 lists them).
import { main } from './run.ts';

process.exitCode = await main(process.env);
