// Public entry of the cors-probe library: runProbe, deniedOriginsFor and the report types.

export { type DeniedOrigin, deniedOriginCandidates, deniedOriginsFor } from './denied-origins.ts';
export { CASES, type CaseName } from './matrix.ts';
export { runProbe } from './run.ts';
export { type CaseResult, type ProbeOptions, type ProbeReport, ProbeUsageError, TargetUnreachableError } from './types.ts';
