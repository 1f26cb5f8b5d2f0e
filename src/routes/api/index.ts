import fs from 'node:fs';
import path from 'node:path';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { packageRoot } from '../../package-root.js';
import type { AppDeps } from '../../deps.js';
import { errorBody } from '../errors.js';
import { BASIC_REALM, SESSION_COOKIE, staffApiAuth } from '../staff/auth.js';
import { apiOriginCheck } from '../staff/security.js';
import { auditApi } from './audit.js';
import { batchesApi } from './batches.js';
import { conversionRoutes } from './conversions.js';
import { funnelApi } from './funnel.js';
import { healthApi } from './health.js';
import { sendingApi } from './sending.js';
import { importsApi } from './imports.js';
import { apiRoute, apiRouter, json } from './openapi.js';
import { sequenceApi } from './sequence.js';
import { sequencesApi } from './sequences.js';
import { SEQUENCE_IDS } from '../../../db/types.js';
import { subscribersApi } from './subscribers.js';
import { templatesApi } from './templates.js';

/** Where the API is mounted; its OpenAPI document names every path in full. */
export const API_BASE = '/api';

const getDocument = apiRoute({
  method: 'get',
  path: '/openapi.json',
  role: 'viewer',
  summary: 'This document: the OpenAPI description of /api, generated from the schemas that validate it',
  responses: { 200: json(z.record(z.string(), z.unknown()), 'An OpenAPI 3.1 document.') },
});

/** The package's name and version, the document's title and version. */
function packageInfo(): { title: string; version: string; description: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { name: string; version: string };
  return {
    title: pkg.name,
    version: pkg.version,
    description: [
      'The staff JSON API of the nurture service.',
      'Every error is `{"error":{"code","message"}}`: `code` is stable for scripts, `message` is for people.',
      'Each operation names the staff role it needs (`x-staff-role`): viewer (reads), editor (acts on subscribers), admin (erase, export, audit).',
    ].join('\n\n'),
  };
}

/**
 * The staff JSON API: an account's basic auth or a session cookie, and each
 * route states the role it needs (apiRoute). Cross-site unsafe requests are
 * refused, since a browser would attach the staff login to them.
 */
export function staffApiRoutes(deps: AppDeps) {
  const app = apiRouter().basePath(API_BASE);
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('X-Robots-Tag', 'noindex');
  });
  app.use('*', staffApiAuth(deps));
  app.use('*', apiOriginCheck(deps.config, (c, reason) => c.json(errorBody('forbidden', reason), 403)));
  app.route('/audit', auditApi(deps));
  app.route('/batches', batchesApi(deps));
  app.route('/', conversionRoutes(deps));
  app.route('/funnel', funnelApi(deps));
  app.route('/health', healthApi(deps));
  app.route('/sending', sendingApi(deps));
  app.route('/imports', importsApi(deps));
  app.route('/sequence', sequenceApi(deps));
  app.route('/sequences', sequencesApi(deps));
  for (const id of SEQUENCE_IDS) app.route(`/sequences/${id}`, sequenceApi(deps, id));
  app.route('/subscribers', subscribersApi(deps));
  app.route('/templates', templatesApi(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', {
    type: 'http',
    scheme: 'basic',
    description: `A staff account's name and password (realm "${BASIC_REALM}"); failures count against the login throttle.`,
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session of a staff login at /staff/login, for the staff pages that call the API.',
  });
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.openapi(getDocument, (c) => {
    document ??= app.getOpenAPI31Document({ openapi: '3.1.0', info: packageInfo(), security: [{ basicAuth: [] }, { sessionCookie: [] }] });
    return c.json(document, 200);
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 415) return c.json(errorBody('unsupported_media_type', 'This route does not take a body of that Content-Type; /api/openapi.json says which it takes.'), 415);
    if (err instanceof HTTPException && err.status < 500) return c.json(errorBody('bad_request', err.message || 'Bad request.'), err.status);
    deps.logger.error({ err, path: c.req.path }, 'staff api failed');
    return c.json(errorBody('internal', 'Something went wrong on our side.'), 500);
  });
  return app;
}
