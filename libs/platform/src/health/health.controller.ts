import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { register } from 'prom-client';
import { z } from 'zod';
import { ApiOperation } from '../docs/api-operation.decorator';
import { Public } from './public.decorator';
import { ReadinessRegistry } from './readiness.registry';

const ReadyBody = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'unavailable'])).meta({
    description: 'Each dependency of this process (`nats`, `postgres`, `redis`, …) and whether it answered.',
  }),
});

/** Probes and metrics, served by every service (outside the authenticated /2fa API). */
@Public()
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Alive: the process answers. */
  @ApiOperation({
    operationId: 'healthz',
    tag: 'Operations',
    summary: 'Alive: the process answers',
    response: z.object({ status: z.literal('ok') }),
    errors: [],
  })
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready: every dependency this process uses is reachable. */
  @ApiOperation({
    operationId: 'readyz',
    tag: 'Operations',
    summary: 'Ready: every dependency of this process is reachable',
    description: 'A 503 (with `Retry-After`) names the dependency that did not answer.',
    response: ReadyBody,
    errorBody: () => ReadyBody,
    errors: [503],
  })
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response): Promise<object> {
    const result = await this.readiness.run();
    res.status(result.ready ? 200 : 503);
    if (!result.ready) res.setHeader('Retry-After', '1');
    return { status: result.ready ? 'ok' : 'unavailable', checks: result.checks };
  }

  @ApiOperation({
    operationId: 'metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    response: z.string(),
    responseMediaType: 'text/plain',
    errors: [],
  })
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
