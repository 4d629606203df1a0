import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { register } from 'prom-client';
import { Public } from './public.decorator';
import { ReadinessRegistry } from './readiness.registry';

/** Probes and metrics, served by every service (outside the authenticated /2fa API). */
@Public()
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Alive: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready: every dependency this process uses is reachable. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response): Promise<object> {
    const result = await this.readiness.run();
    res.status(result.ready ? 200 : 503);
    if (!result.ready) res.setHeader('Retry-After', '1');
    return { status: result.ready ? 'ok' : 'unavailable', checks: result.checks };
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
