import { createRoute, OpenAPIHono, type OpenAPIHonoOptions, type RouteConfig } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { z, type ZodType } from 'zod';
import type { AppEnv } from '../../deps.js';
import type { StaffRole } from '../../staff/roles.js';
import { describeIssues, errorBody } from '../errors.js';
import { apiRole, ROLE_NEEDS } from '../staff/auth.js';

/**
 * How an API route is declared: its zod schemas validate the request and are
 * the OpenAPI document (GET /api/openapi.json), so the two cannot drift.
 *
 *   const pause = apiRoute({
 *     method: 'post', path: '/{id}/pause', role: 'editor', summary: '...',
 *     request: { params: idParams('subscriber'), body: jsonBody(PauseBody) },
 *     responses: { 200: json(Paused, '...'), 404: error('...') },
 *   });
 *   app.openapi(pause, async (c) => { const { id } = c.req.valid('param'); ... });
 *
 * apiRoute adds the role check and the answers the shared machinery gives
 * (400, 401, 403, 415, 422, 429); a route lists only what its handler answers.
 * A body that is read as it streams (a CSV upload) is declared with its media
 * type and a z.string() schema: nothing validates or buffers it, the handler
 * reads c.req.raw.body, and it lists its own error answers.
 */

/** `{"error":{"code","message"}}`: the one shape of every error the API answers. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, for scripts.', example: 'not_found' }),
      message: z.string().meta({ description: 'For people: what is wrong, and how to put it right.' }),
    }),
  })
  .meta({ id: 'Error' });

/** A JSON answer of `schema`. */
export function json<T extends ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** An error answer, in the one error shape, described for the route it is on. */
export function error(description: string) {
  return json(ErrorSchema, description);
}

/** A required JSON request body. */
export function jsonBody<T extends ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

/** Each kind of input that fails its schema, answered with status, code and the name of the whole input. Every path parameter of this API is an id. */
const REFUSALS = {
  json: [422, 'invalid_input', 'body'],
  query: [400, 'bad_query', 'query'],
  param: [400, 'bad_id', 'path'],
} as const;

/** The validation hook of every API route: a request that fails a schema gets the error shape, naming each field and what is wrong. */
export const refuseInvalidInput: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result, c) => {
  if (result.success) return;
  const [status, code, whole] = REFUSALS[result.target as keyof typeof REFUSALS] ?? [400, 'bad_request', result.target];
  return c.json(errorBody(code, describeIssues(result.error.issues, whole)), status);
};

/** A router for API routes (apiRoute), answering invalid input in the error shape. */
export function apiRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalidInput });
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A body sent as JSON that does not parse: 400 bad_json. Hono's validator
 * throws a bare 400 for it before the hook runs; parsed here first, the
 * validator reads the same parsed body.
 */
const parsableJson = createMiddleware(async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (JSON_MEDIA_TYPE.test(type)) {
    try {
      await c.req.json();
    } catch {
      return c.json(errorBody('bad_json', 'The body is not JSON: send a JSON object.'), 400);
    }
  }
  await next();
});

type ErrorAnswer = ReturnType<typeof error>;
type SharedErrors = Partial<Record<400 | 401 | 403 | 415 | 422 | 429, ErrorAnswer>>;
/** Typed as if every shared answer were declared: a Partial would loosen the handlers' response types to any Response. */
type DeclaredSharedErrors = Required<SharedErrors>;

const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * An API route: createRoute's config plus the staff role it needs (checked by
 * apiRole, stated in the document as `x-staff-role`), with the error answers
 * that auth, the role check and validation give added to its responses.
 */
export function apiRoute<const R extends Omit<RouteConfig, 'middleware'> & { role: StaffRole }>(config: R) {
  const { role, ...route } = config;
  // Only a JSON body is parsed and validated before the handler.
  const takesJson = route.request?.body?.content['application/json'] !== undefined;
  const pathOrQuery = route.request?.params !== undefined || route.request?.query !== undefined;
  const unsafe = UNSAFE_METHODS.has(route.method);
  const sentence = (...parts: (string | false)[]) => parts.filter(Boolean).join(' ');
  const shared: SharedErrors = {
    401: error('No staff login, or one that does not match an enabled account (unauthorized); answered with WWW-Authenticate.'),
    429: error('Too many failed logins for this account or from this address, or too many logins being checked at once (too_many_attempts); answered with Retry-After.'),
  };
  if (pathOrQuery || takesJson) shared[400] = error(sentence(pathOrQuery && 'A path or query value is malformed (bad_id, bad_query).', takesJson && 'The body is not JSON (bad_json).'));
  if (role !== 'viewer' || unsafe) shared[403] = error(sentence(role !== 'viewer' && `The account's role is not enough (forbidden): this needs ${ROLE_NEEDS[role]}.`, unsafe && 'A cross-site request.'));
  if (takesJson) {
    shared[415] = error('The body is not sent as application/json (unsupported_media_type).');
    shared[422] = error('The body does not fit the schema (invalid_input); the message names each field and what is wrong.');
  }
  return createRoute({
    ...route,
    description: [route.description, `Needs ${ROLE_NEEDS[role]}.`].filter(Boolean).join('\n\n'),
    'x-staff-role': role,
    middleware: [...(role === 'viewer' ? [] : [apiRole(role)]), ...(takesJson ? [parsableJson] : [])],
    responses: { ...(shared as DeclaredSharedErrors), ...route.responses },
  });
}
