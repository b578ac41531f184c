import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/healthz', () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    // Commands wait for a reconnect rather than fail, so a down Redis must not be pinged without a deadline.
    const redis =
      deps.redis.status === 'ready' &&
      (await Promise.race([
        deps.redis.ping().then(
          (r) => r === 'PONG',
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
      ]));
    const workers = deps.workersRunning();
    return reply.code(redis && workers ? 200 : 503).send({ ready: redis && workers, redis, workers });
  });

  app.get('/metrics', async (_request, reply) => {
    await deps.refreshGauges();
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
