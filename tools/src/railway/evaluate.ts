// Loads .railway/railway.ts offline the way the Railway CLI calls it, and turns its result into the graph
// that railway/iac's validateGraph checks. Used by railway.test.ts and the local platform replica
// (tools/src/platform); nothing here touches the network.
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createRailwayContext,
  type Edge,
  type ProjectDefinition,
  project,
  RAILWAY_GRAPH_VERSION,
  type RailwayGraph,
  type RailwayProgram,
  type ResourceNode,
} from 'railway/iac';
import { REPO } from '../../testkit/stack.ts';

export const RAILWAY_FILE = path.join(REPO, '.railway', 'railway.ts');

// Two things differ from the tools/ package when loading .railway/railway.ts, both handled by the
// resolve hook below for that one file and its imports only:
// - It imports 'railway/iac' by its bare name, as Railway's docs lay it out, but the one installed
//   copy of the SDK is tools/node_modules/railway, which Node's resolution never searches from
//   .railway/ (and NODE_PATH does not apply to ES modules). The hook answers that specifier with the
//   SDK this test imports itself. The real CLI needs the SDK reachable from .railway/ instead
//   (docs/deploy.md: the .railway/node_modules link).
// - No package.json says what module system .railway/ uses, so tsx would compile the file as
//   CommonJS; the Railway CLI runs it as an ES module (Node's type stripping detects the syntax).
//   The hook marks it as one, so import semantics match the CLI's.
const RAILWAY_FILE_URL = pathToFileURL(RAILWAY_FILE).href;
const RAILWAY_DIR_URL = pathToFileURL(path.dirname(RAILWAY_FILE) + path.sep).href;
const SDK_URLS = { 'railway/iac': import.meta.resolve('railway/iac') };
const HOOK = `
const file = ${JSON.stringify(RAILWAY_FILE_URL)};
const dir = ${JSON.stringify(RAILWAY_DIR_URL)};
const sdk = ${JSON.stringify(SDK_URLS)};
export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(sdk, specifier) && context.parentURL?.startsWith(dir)) {
    return { url: sdk[specifier], shortCircuit: true };
  }
  const resolved = await nextResolve(specifier, context);
  return resolved.url.split('?')[0] === file ? { ...resolved, format: 'module' } : resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(HOOK)}`);

/** The module as the CLI sees it: its default export is the program (defineRailway returns it). */
export async function loadRailwayModule(): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(RAILWAY_FILE).href)) as Record<string, unknown>;
}

/** Desired state for one Railway environment: the CLI calls `default(ctx, project)` with this context. */
export async function desiredState(environment: string | undefined): Promise<ProjectDefinition> {
  const mod = await loadRailwayModule();
  const program = mod.default as RailwayProgram;
  return program(createRailwayContext(environment === undefined ? {} : { environment }), project);
}

/** The definition's resources, flattened one level as project() does. */
export function resourcesOf(def: ProjectDefinition): ResourceNode[] {
  return (def.resources ?? []).flat();
}

/**
 * The graph validateGraph checks. The SDK no longer compiles one (the CLI does, in Rust), so build it
 * the way the CLI's compiler does (railwayapp/cli, src/iac/compiler.rs, project_definition_to_graph):
 * every resource, plus an edge per reference variable and per volume attachment, so a reference to a
 * resource the file does not declare shows up as a dangling edge.
 */
export function graphOf(def: ProjectDefinition): RailwayGraph {
  const resources = resourcesOf(def);
  const edges: Edge[] = [];
  for (const node of resources) {
    if (node.type !== 'service' && node.type !== 'database') continue;
    for (const attachment of Object.values(node.volumeAttachments ?? {})) {
      edges.push({ from: node.address, to: attachment.volume, type: 'mount', key: attachment.mountPath });
    }
    for (const [key, value] of Object.entries(node.variables ?? {})) {
      if (value.type === 'reference') edges.push({ from: node.address, to: value.resource, type: 'variable', key });
    }
  }
  const environments = (def.environments ?? []).map((name) => ({ name }));
  return { version: RAILWAY_GRAPH_VERSION, project: { name: def.name }, environments, resources, edges };
}
