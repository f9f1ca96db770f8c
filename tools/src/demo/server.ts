// Serves the demo page (the browser app's stand-in) on a port of its own, loopback only.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PAGE = new URL('./page.html', import.meta.url);

export interface DemoServer {
  url: string;
  close: () => Promise<void>;
}

export async function startDemoPage(port: number, host = '127.0.0.1'): Promise<DemoServer> {
  const page = readFileSync(PAGE);
  const server = http.createServer((req, res) => {
    // /callback is where the Auth0 (stand-in) login returns: the same page finishes the login there.
    if (req.method !== 'GET' || !['/', '/index.html', '/callback'].includes((req.url ?? '/').split('?')[0]!)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
