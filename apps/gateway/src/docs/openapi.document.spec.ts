import 'reflect-metadata';
import { Controller, Get } from '@nestjs/common';
import { ERROR_CODES } from '@app/contracts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCUMENTED_CONTROLLERS } from '../gateway.controllers';
import { buildOpenApiDocument, gatewayRoutes } from './openapi.document';

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; openapi: string };

const document = buildOpenApiDocument(DOCUMENTED_CONTROLLERS) as unknown as Doc;

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      // The validator is an ES module only: run its own command line, as a CI step would.
      const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
      const out = execFileSync(process.execPath, [cli, file], { encoding: 'utf8' });
      expect(JSON.parse(out)).toMatchObject({ valid: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has every route the gateway serves, each once', () => {
    const routes = gatewayRoutes(DOCUMENTED_CONTROLLERS);
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) expect(document.paths[route.path]?.[route.method]).toBeDefined();
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
    expect(operations).toHaveLength(routes.length);
  });

  it('names every catalog code in some response', () => {
    const text = JSON.stringify(document.paths);
    const missing = ERROR_CODES.filter((code) => !text.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('refuses a route without @ApiOperation, naming it', () => {
    @Controller('2fa/new')
    class UndocumentedController {
      @Get('thing')
      thing(): void {}
    }
    expect(() => buildOpenApiDocument([...DOCUMENTED_CONTROLLERS, UndocumentedController])).toThrow(
      'GET /2fa/new/thing (UndocumentedController.thing) has no @ApiOperation',
    );
  });
});
