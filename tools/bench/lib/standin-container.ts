// Runs inside `make bench-memory`'s second container (sharing the API container's network): the load's Auth0 stand-in
// on 127.0.0.1:<port>, plus a TCP relay from the container's own addresses to it, so the port the API container publishes
// on the host's 127.0.0.1 reaches the stand-in too (Docker forwards published ports to the container's address, and
// the stand-in binds loopback only). The API and the load generator on the host then use the same issuer URL.
//
//   node <tsx cli> standin-container.ts '{"port":41234,"tokenTtlSec":30}'
import net from 'node:net';
import os from 'node:os';
import { newTenant, startLoadStandin } from '../../src/load/run.ts';

interface Args {
  port: number;
  tokenTtlSec: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Partial<Args>;
if (!Number.isInteger(args.port) || !Number.isInteger(args.tokenTtlSec)) {
  console.error(`standin-container: needs '{"port":N,"tokenTtlSec":N}', got ${process.argv[2] ?? 'nothing'}`);
  process.exit(2);
}
const port = args.port!;

const standin = await startLoadStandin({ tokenTtlSec: args.tokenTtlSec! }, newTenant(), port);
if (standin.port !== port) throw new Error(`stand-in listens on ${standin.port}, not ${port}`);

/** Every non-loopback IPv4 address of this network namespace (the container's bridge address). */
const addresses = Object.values(os.networkInterfaces())
  .flat()
  .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);

const relays = await Promise.all(
  addresses.map(
    (address) =>
      new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer((inbound) => {
          const outbound = net.connect(port, '127.0.0.1');
          inbound.pipe(outbound).pipe(inbound);
          const end = () => {
            inbound.destroy();
            outbound.destroy();
          };
          inbound.on('error', end).on('close', end);
          outbound.on('error', end).on('close', end);
        });
        server.once('error', reject);
        server.listen(port, address, () => resolve(server));
      }),
  ),
);

// The host reads this line from `docker logs` to know the stand-in is up and which settings it has.
console.log(
  `standin-container ready ${JSON.stringify({
    issuer: standin.issuer,
    audience: standin.audience,
    clientId: standin.clientId,
    tenantClaim: standin.tenantClaim,
    tenant: standin.devUser.tenantId,
    relays: addresses,
  })}`,
);

const stop = async () => {
  for (const r of relays) r.close();
  await standin.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
