// `make bench-memory`: the image under `docker run --memory 256m` at the demo scenario's steady load and burst; per-process
// RSS and anonymous memory, the container's peak, OOM checks (docs/bench/memory.md). Not part of `make test`.
// Settings are MEMORY_* and LOAD_* variables (MEMORY_HELP=1 lists them); the code is in tools/bench/lib/memory-*.ts.
import { main } from './lib/memory-fit.ts';

process.exitCode = await main(process.env);
