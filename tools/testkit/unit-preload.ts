// `make test-unit` preloads this (--import) into its one test process: from here on, starting a child process throws.
import { refuseChildProcesses } from './no-processes.ts';

refuseChildProcesses();
