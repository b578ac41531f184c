import Fastify, { type FastifyInstance } from 'fastify';
import { bearerMatches } from './auth.js';
import { enforceDeadlines, REQUEST_DEADLINE_MS } from './deadline.js';
import type { HttpDeps } from './deps.js';
import { countRequests } from './request-metrics.js';
import { connectionCap, HTTP_LIMITS } from './limits.js';
import { alertmanagerRoutes } from './routes/alertmanager.js';
import { auditRoutes } from './routes/audit.js';
import { firewallRoutes } from './routes/firewall.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { ingestRoutes, unavailable } from './routes/ingest.js';

/** Bodies above this get 413 before they are parsed. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * The bot's HTTP API. `/v1/*` is encapsulated behind the bearer-token hook;
 * health and metrics stay open for probes and scrapers.
 */
export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: BODY_LIMIT,
    connectionTimeout: HTTP_LIMITS.idleTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    http: {
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: HTTP_LIMITS.checkEveryMs,
    },
  });
  app.server.maxConnections = connectionCap();
  // Per-request lines only for warnings and worse: at 1,000 snapshots/s they would drown the log.
  const quiet = { logLevel: 'warn' } as const;
  countRequests(app, deps.metrics);
  enforceDeadlines(app, REQUEST_DEADLINE_MS);
  void app.register((probes, _opts, done) => {
    healthRoutes(probes, deps);
    done();
  }, quiet);
  void app.register((api, _opts, done) => {
    if (deps.ingestToken) {
      const token = deps.ingestToken;
      api.addHook('onRequest', async (request, reply) => {
        if (!bearerMatches(request.headers.authorization, token)) {
          await reply
            .code(401)
            .header('www-authenticate', 'Bearer')
            .send({ error: 'missing or wrong bearer token (INGEST_TOKEN)' });
        }
      });
    }
    // Commands wait for Redis to come back rather than fail, so while it is
    // down every /v1 request is answered 503 at once instead of hanging.
    api.addHook('preHandler', async (_request, reply) => {
      if (deps.redis.status !== 'ready') await unavailable(reply);
    });
    ingestRoutes(api, deps);
    alertmanagerRoutes(api, deps);
    firewallRoutes(api, deps);
    hostRoutes(api, deps);
    auditRoutes(api, deps);
    done();
  }, quiet);
  for (const plugin of deps.plugins) void app.register(plugin);
  return app;
}
