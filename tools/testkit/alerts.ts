// A local webhook that records the stack's alerts (ALERT_WEBHOOK_URL), for the self-healing tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Alert {
  text: string;
  program: string;
  reason: string;
  time: number;
}

export interface AlertReceiver {
  url: string;
  alerts: Alert[];
  close: () => Promise<void>;
}

/** Listen on a free loopback port; every POSTed JSON body is appended to `alerts`. */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const alerts: Alert[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Alert);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    alerts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
