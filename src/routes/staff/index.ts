import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps } from '../../deps.js';
import { accountRoutes } from './account.js';
import { auditRoutes } from './audit.js';
import { staffPageAuth } from './auth.js';
import { batchRoutes } from './batches.js';
import { dashboardRoutes } from './dashboard.js';
import { importRoutes } from './imports.js';
import { multipartUploadLimit } from '../import-upload.js';
import { loginRoutes } from './login.js';
import { outboxRoutes } from './outbox.js';
import { pageSecurity } from '../page-security.js';
import { staffCsrf } from './security.js';
import { sequenceRoutes, sequencesIndexRoutes } from './sequence.js';
import { subscriberRoutes } from './subscribers.js';
import { templateRoutes } from './templates.js';
import { timelineRoutes } from './timeline.js';
import { errorPage } from './view.js';

/**
 * The staff area's pages: a strict CSP and framing rules, no caching, CSRF
 * checks on every form, then the login routes, then a session for the rest.
 * Each route states the role it needs (pageRole).
 */
export function staffRoutes(deps: AppDeps) {
  const app = new Hono();
  app.use('*', pageSecurity('staff'));
  // The import form's file is read whole by the CSRF check below: capped first.
  app.use('/imports', multipartUploadLimit((c, r) => errorPage(c, deps, r.status, 'File too large', r.message)));
  app.use('*', staffCsrf(deps.config, deps.clock, (c, reason) => errorPage(c, deps, 403, 'Form refused', reason)));
  app.route('/', loginRoutes(deps));
  app.use('*', staffPageAuth(deps));

  app.route('/', dashboardRoutes(deps));
  app.route('/account', accountRoutes(deps));
  app.route('/audit', auditRoutes(deps));
  app.route('/imports', importRoutes(deps));
  app.route('/batches', batchRoutes(deps));
  app.route('/sequence', sequenceRoutes(deps, 'education', '/staff/sequence'));
  app.route('/sequences', sequencesIndexRoutes(deps));
  app.route('/templates', templateRoutes(deps));
  app.route('/subscribers', subscriberRoutes(deps));
  app.route('/subscribers', timelineRoutes(deps));
  app.route('/outbox', outboxRoutes(deps));

  app.all('*', (c) => errorPage(c, deps, 404, 'Page not found', 'There is no staff page at this address.'));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return errorPage(c, deps, err.status as 400, 'Bad request', err.message || 'The request could not be read.');
    deps.logger.error({ err, path: c.req.path }, 'staff page failed');
    return errorPage(c, deps, 500, 'Something went wrong', 'The page could not be built. The error has been logged.');
  });
  return app;
}
