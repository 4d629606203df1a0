import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/contracts';
import { Public, ApiOperation } from '@app/platform';
import type { Response } from 'express';
import { dirname } from 'node:path';
import { z } from 'zod';
import { OPENAPI_DOCUMENT } from './openapi.token';

/** Swagger UI's files, from the installed package: nothing comes from a CDN. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/**
 * Starts Swagger UI on the document. A file of its own, not an inline script, so that the
 * page runs under a CSP without 'unsafe-inline'. `validatorUrl: null`: Swagger UI would
 * otherwise send the document to validator.swagger.io for a badge.
 */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/docs/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Smart 2FA API reference</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/index.css">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/**
 * Stricter than the gateway's default CSP: no inline script and no inline style at all.
 * Swagger UI sets styles only through the CSSOM (`element.style`), which CSP allows, so it
 * needs neither 'unsafe-inline' nor hashes; `data:` images are its inline SVG icons. Requests
 * made from "Try it out" go to this origin only.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: [string, ...string[]] = ['init.js', ...Object.keys(SWAGGER_UI_FILES)];

/** `GET /docs/openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (an interactive reference). Public. */
@Public()
@Controller('docs')
export class DocsController {
  private readonly json: string;

  constructor(@Inject(OPENAPI_DOCUMENT) document: Record<string, unknown>) {
    this.json = JSON.stringify(document);
  }

  @ApiOperation({
    operationId: 'openApiDocument',
    tag: 'Operations',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated at start from the zod schemas that validate the requests. Feed it to any generator.',
    response: z.object({}).loose().meta({ description: 'An OpenAPI 3.1 document.' }),
    errors: [],
  })
  @Get('openapi.json')
  document(@Res() res: Response): void {
    res.type('application/json').send(this.json);
  }

  @ApiOperation({
    operationId: 'apiReference',
    tag: 'Operations',
    summary: 'The interactive API reference',
    description: 'Swagger UI on this document, served from local files. "Authorize" takes your SID and token.',
    response: z.string(),
    responseMediaType: 'text/html',
    errors: [],
  })
  @Get()
  page(@Res() res: Response): void {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('text/html').send(PAGE);
  }

  @ApiOperation({
    operationId: 'apiReferenceAsset',
    tag: 'Operations',
    summary: "A file of the reference page (Swagger UI's, from the installed package)",
    path: z.object({ file: z.enum(ASSETS) }),
    response: z.string(),
    responseMediaType: 'application/octet-stream',
    errors: [404],
  })
  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    if (file === 'init.js') {
      res.type('text/javascript').send(INIT_SCRIPT);
      return;
    }
    const type = Object.prototype.hasOwnProperty.call(SWAGGER_UI_FILES, file) ? SWAGGER_UI_FILES[file] : undefined;
    if (!type) throw new DomainError(ErrorCode.NotFound);
    res.type(type).sendFile(file, { root: SWAGGER_UI_DIR });
  }
}
