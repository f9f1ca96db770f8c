// Railway infrastructure as code for edge-sidecar: one API service built from deploy/Dockerfile plus
// its Postgres, per environment. `railway config plan|apply` evaluates it (the CLI runs Node with
// --experimental-strip-types), and tools/test/railway/railway.test.ts evaluates it offline.
// Reference: https://docs.railway.com/infrastructure-as-code/reference — runbooks: docs/deploy.md,
// docs/rollback.md. Keep to erasable TypeScript (no enums, namespaces or parameter properties):
// Node strips the types, nothing compiles this file.
import { defineRailway, postgres, preserve, project, service } from 'railway/iac';

/** The one public port: Caddy listens here (uvicorn itself in PROXY_MODE=direct), Railway routes the
 *  custom domain and sends its healthcheck here. Set explicitly so all three agree by construction. */
const PORT = 8080;

/** What differs per Railway environment. Anything else is identical everywhere. */
const ENVIRONMENTS = {
  // Two replicas: a replica that crashes is restarted while the other keeps serving. Possible
  // because the state lives in Postgres, not in a SQLite file inside the container.
  production: {
    replicas: 2,
    origins: 'https://app.zebra.associates',
    // Same site as the app, so a refresh cookie set by the API stays first-party
    // (*.up.railway.app is on the Public Suffix List; a cookie there is third-party to the app).
    domain: 'api.zebra.associates',
  },
  // Staging also admits the local demo page; it keeps the Railway-provided *.up.railway.app domain.
  staging: {
    replicas: 1,
    origins: 'https://app.zebra.associates http://localhost:3001',
    domain: undefined,
  },
} as const;

export default defineRailway((ctx) => {
  const name = ctx.environment;
  if (name !== 'production' && name !== 'staging') {
    // Never guess: a production environment renamed "prod" must not silently get staging's policy.
    throw new Error(
      `.railway/railway.ts: no settings for Railway environment ${JSON.stringify(name)} (known: ${Object.keys(ENVIRONMENTS).join(', ')})`,
    );
  }
  const settings = ENVIRONMENTS[name];

  // Each environment gets its own instance; DATABASE_URL below references it (${{postgres.DATABASE_URL}}).
  const db = postgres('postgres');

  const api = service('api', {
    // No `source`: the GitHub repo is connected once in the dashboard (or `railway up`); no start
    // command either, so the image's ENTRYPOINT (deploy/entrypoint.py) runs as built.
    build: { builder: 'DOCKERFILE', dockerfilePath: 'deploy/Dockerfile' },
    // Checked only while a deploy goes live (host healthcheck.railway.app, on $PORT), until 200.
    // 200 means proxy, API and database are ready. The image builds nothing at start (venv and
    // bytecode are baked in; the container tests hold it to 200 within 15 s), so 120 s is 8x that
    // and leaves room for a first deploy waiting on a freshly provisioned Postgres. A broken release
    // fails in 2 min instead of the default 5, while the previous deployment keeps serving.
    healthcheck: '/health',
    healthcheckTimeout: 120,
    replicas: settings.replicas,
    deploy: {
      // ON_FAILURE restarts only on a non-zero exit, which is why the container ends non-zero when a
      // program crash-loops or refuses its configuration (deploy/edge_sidecar/supervision.py). 10 is Railway's default and the cap on the
      // free/trial plans; past it the deployment stays Crashed and Railway notifies the project.
      restartPolicyType: 'ON_FAILURE',
      restartPolicyMaxRetries: 10,
    },
    ...(settings.domain ? { domains: [{ domain: settings.domain, port: PORT }] } : {}),
    env: {
      PORT: String(PORT),
      PROXY_MODE: 'sidecar',
      // A Caddy that crash-loops after it served is replaced in the container by direct mode (same
      // policy, app-side): the fastest rollback, no redeploy; /health then answers 503 "degraded".
      PROXY_FALLBACK: 'direct',
      // Railway's edge proxies from 100.64.0.0/10: only its X-Forwarded-For/-Proto are believed, so
      // the API sees https. Spelled out: a wider range would let clients forge their IP and scheme.
      TRUSTED_PROXIES: '100.64.0.0/10',
      // The CORS policy, spelled out so the dashboard shows all of it and a change to the image's
      // defaults (deploy/defaults.env, tuned for local work) never changes production by accident.
      CORS_ALLOW_ORIGINS: settings.origins,
      CORS_ALLOW_METHODS: 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
      CORS_ALLOW_HEADERS: 'Authorization, Content-Type, Accept, X-Requested-With, X-Tenant-ID',
      CORS_EXPOSE_HEADERS: 'X-Request-ID',
      CORS_MAX_AGE: '600',
      CORS_ALLOW_CREDENTIALS: 'true',
      // SIGTERM to SIGKILL for the old deployment (Railway's default is 0 s). supervisord stops the
      // proxy first (Caddy's grace_period 10 s, killed at stopwaitsecs 15) and then the API
      // (uvicorn --timeout-graceful-shutdown 20, killed at 25): at worst 40 s, plus 5 s for
      // supervisord and the entrypoint to exit. Any less and Railway's SIGKILL cuts the drain short.
      RAILWAY_DEPLOYMENT_DRAINING_SECONDS: '45',
      // How long the old deployment stays up after the new one is Active, before its SIGTERM:
      // UPSTREAM_TIMEOUT (30 s), the longest a proxied request may take, so requests the old
      // deployment accepted before the switch finish there instead of in the 10 s proxy grace.
      // (Whether Railway still routes new requests to it meanwhile is unclear: docs/rollback.md.)
      RAILWAY_DEPLOYMENT_OVERLAP_SECONDS: '30',
      // A reference, resolved by Railway at deploy time; the password never appears here.
      DATABASE_URL: db.env.DATABASE_URL,
      // Auth0 (backend/edge_api/auth): the API identifier is public and fixed. The tenant's domain,
      // the application's client id and its secret are set once per environment in the dashboard
      // (`railway variables --set`); preserve() keeps whatever is there, so the secret never appears
      // in this repository. The API refuses to start while AUTH0_DOMAIN is missing.
      AUTH0_AUDIENCE: 'https://api.zebra.associates',
      AUTH0_DOMAIN: preserve(),
      AUTH0_CLIENT_ID: preserve(),
      AUTH0_CLIENT_SECRET: preserve(),
    },
  });

  return project('edge-sidecar', { resources: [db, api] });
});
