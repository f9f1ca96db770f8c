// Public entry of the cors-probe library: runProbe, deniedOriginsFor and the report types.
export { runProbe } from "./run.ts";
export { deniedOriginsFor, deniedOriginCandidates, type DeniedOrigin } from "./denied-origins.ts";
export { CASES, type CaseName } from "./matrix.ts";
export { ProbeUsageError, TargetUnreachableError, type CaseResult, type ProbeOptions, type ProbeReport } from "./types.ts";
