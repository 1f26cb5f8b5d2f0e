/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { TEST_EMAIL_TOKEN } from '../nurture/previews.js';
import { errorBody } from './errors.js';
import { messagePage } from './layout.js';
import { pageSecurity } from './page-security.js';
import { prefersHtml } from './request-info.js';

const TITLE = 'This was a test email';

/**
 * Where the links of a preview or a staff test email lead (testEmailLinks:
 * they carry no token). They act for nobody; the page says why, so whoever
 * clicked in a test knows it worked, instead of reading "this link does not
 * work". A one-click unsubscribe of a test email is answered 200, as mail
 * clients expect, and changes nothing.
 */
export function testLinkRoutes(): Hono {
  const app = new Hono();
  for (const path of [`/u/${TEST_EMAIL_TOKEN}`, `/p/${TEST_EMAIL_TOKEN}`, `/confirm/${TEST_EMAIL_TOKEN}`]) {
    app.on(['GET', 'POST'], path, pageSecurity('reader'), (c) => {
      if (c.req.method === 'POST' && !prefersHtml(c.req.header('accept')) && c.req.header('content-type')?.includes('application/json')) {
        return c.json(errorBody('test_email_link', `${TITLE}: its links act for nobody.`), 400);
      }
      return messagePage(
        c,
        200,
        TITLE,
        [
          "This link came from a preview or a test email sent by staff. In a real email it leads to the reader's own page; here it acts for nobody: nothing was confirmed, changed or unsubscribed.",
        ],
        false,
      );
    });
  }
  return app;
}
