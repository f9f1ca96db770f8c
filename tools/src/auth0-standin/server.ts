// Entry point: `tsx tools/src/auth0-standin/server.ts [--port 3002 ...]` runs the local Auth0 stand-in until Ctrl-C.
import { HELP, parseServerArgs, StandinConfigError } from './config.ts';
import { startStandin } from './standin.ts';

let args;
try {
  args = parseServerArgs(process.argv.slice(2), process.env);
} catch (err) {
  console.error(`auth0-standin: ${(err as Error).message}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const standin = await startStandin(args.options).catch((err: Error & { code?: string }) => {
  const why =
    err instanceof StandinConfigError
      ? err.message
      : err.code === 'EADDRINUSE'
        ? `port ${args.options.port} is in use`
        : err.message;
  console.error(`auth0-standin: ${why}`);
  process.exit(2);
});

console.log(`auth0-standin: listening on ${standin.url}
  issuer     ${standin.issuer}
  audience   ${standin.audience}
  client id  ${standin.clientId}
  callbacks  ${standin.redirectUris.join(' ')}
  dev user   ${standin.devUser.email} (${standin.devUser.sub}), tenant ${standin.devUser.tenantId}, signing kid ${standin.signingKid()}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void standin.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
