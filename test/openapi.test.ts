// GET /api/openapi.json: a valid OpenAPI document, generated from the zod
// schemas that validate the API, that describes exactly the routes the app
// registers, whose documented inputs the app really refuses, and whose
// documented answers are what the app really sends.
import fs from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { ZodType } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { batches } from '../db/sqlite/schema.js';
import type { StaffRole } from '../db/types.js';
import { API_BASE, staffApiRoutes } from '../src/routes/api/index.js';
import { buildCatalog, VERSION_PLANS } from '../src/nurture/sequence.js';
import { testApp } from './helpers/app.js';
import { addActivity, addDelivery, addEvent, addSubscriber, asStaff, basicAuthOf } from './helpers/staff.js';

type Schema = { type?: string | string[]; pattern?: string; enum?: unknown[]; maxLength?: number; example?: unknown; $ref?: string };
type Parameter = { name: string; in: 'path' | 'query'; required?: boolean; schema: Schema };
type Operation = {
  'x-staff-role'?: StaffRole;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  security: Record<string, string[]>[];
  components: { securitySchemes: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, Operation>>;
};

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
const ROLES: StaffRole[] = ['viewer', 'editor', 'admin'];

let doc: Document;
const operations: { method: string; path: string; op: Operation }[] = [];

beforeAll(async () => {
  const res = await testApp().app.request('/api/openapi.json', asStaff({}, 'viewer'));
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) operations.push({ method, path, op });
});

/** A documented path with each path parameter filled with its schema's example (`values` first). */
function pathOf(path: string, op: Operation, values: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const example = values[name] ?? op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema.example;
    if (typeof example !== 'string') throw new Error(`${path}: give the path parameter "${name}" an example`);
    return example;
  });
}

function request(method: string, role: StaffRole, json?: unknown): RequestInit {
  return asStaff(json === undefined ? { method: method.toUpperCase() } : { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }, role);
}

/** A value the parameter's schema refuses, or undefined when it takes any text. */
function wrongValue(schema: Schema): string | undefined {
  if (schema.enum) return 'not-one-of-them';
  if (schema.pattern) return 'x!';
  if (schema.maxLength !== undefined) return 'x'.repeat(schema.maxLength + 1);
  return undefined;
}

const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document named and versioned as the package', async () => {
    const result = await validate(structuredClone(doc) as never, { resolve: { external: false } });
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: pkg.name, version: pkg.version });
    expect(operations.length).toBeGreaterThan(20);
  });

  it('is served to every staff role, by session or basic auth, and to nobody else; it names both ways in', async () => {
    const t = testApp();
    for (const role of ROLES) expect((await t.app.request('/api/openapi.json', asStaff({}, role))).status).toBe(200);
    expect((await t.app.request('/api/openapi.json', { headers: { authorization: basicAuthOf('viewer') } })).status).toBe(200);
    const anonymous = await t.app.request('/api/openapi.json');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(errorShape);
    expect(doc.components.securitySchemes).toEqual({
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      sessionCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'nurture_staff' }),
    });
    expect(doc.security).toEqual([{ basicAuth: [] }, { sessionCookie: [] }]);
  });

  it('documents every route the app registers under /api, and no route it does not have', () => {
    // Hono lists each handler and middleware; middleware on every method is ALL.
    const registered = new Set(
      testApp()
        .app.routes.filter((r) => r.path.startsWith(`${API_BASE}/`) && r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    const undocumented = [...registered].filter((r) => !documented.has(r));
    const phantom = [...documented].filter((d) => !registered.has(d));
    expect(undocumented, 'routes missing from /api/openapi.json: declare them with apiRoute (src/routes/api/openapi.ts)').toEqual([]);
    expect(phantom, 'documented routes the app does not have').toEqual([]);
  });

  it('states the role of each operation, and the app enforces it: the role below gets 403, the role itself does not', async () => {
    const t = testApp();
    for (const { method, path, op } of operations) {
      const role = op['x-staff-role'];
      expect(ROLES, `${method} ${path}`).toContain(role);
      const url = pathOf(path, op);
      const body = op.requestBody ? {} : undefined;
      const below = ROLES[ROLES.indexOf(role!) - 1];
      if (below) {
        const refused = await t.app.request(url, request(method, below, body));
        expect(refused.status, `${method} ${path} as ${below}`).toBe(403);
        expect((await refused.json()).error.code).toBe('forbidden');
        expect(op.responses['403'], `${method} ${path} documents its 403`).toBeDefined();
      }
      // With ids nobody has and an empty body: refused for what it is (404, 422), never for the role.
      expect((await t.app.request(url, request(method, role!, body))).status, `${method} ${path} as ${role}`).not.toBe(403);
    }
  });

  it('documents every error answer in the one error shape, and 401 on every operation', () => {
    for (const { method, path, op } of operations) {
      expect(op.responses['401'], `${method} ${path}`).toBeDefined();
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.['application/json']?.schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('every documented path and query parameter refuses a wrong value with 400 in the error shape', async () => {
    const t = testApp();
    let checked = 0;
    for (const { method, path, op } of operations) {
      for (const param of op.parameters ?? []) {
        const wrong = wrongValue(param.schema);
        if (wrong === undefined) continue;
        const url = param.in === 'path' ? pathOf(path, op, { [param.name]: wrong }) : `${pathOf(path, op)}?${param.name}=${encodeURIComponent(wrong)}`;
        const res = await t.app.request(url, request(method, 'admin', op.requestBody ? {} : undefined));
        expect(res.status, `${method} ${url}`).toBe(400);
        expect(await res.json(), `${method} ${url}`).toEqual({ error: { code: param.in === 'path' ? 'bad_id' : 'bad_query', message: expect.stringContaining(param.name) } });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('every documented JSON body refuses a wrong body (422), a body that is not JSON (400) and one of another type (415), in the error shape', async () => {
    const t = testApp();
    const withBody = operations.filter((o) => o.op.requestBody?.content['application/json']);
    expect(withBody.length).toBeGreaterThanOrEqual(6);
    for (const { method, path, op } of withBody) {
      const url = pathOf(path, op);
      const send = (body: string, type?: string) => t.app.request(url, asStaff({ method: method.toUpperCase(), body, ...(type ? { headers: { 'content-type': type } } : {}) }, 'admin'));
      const wrong = await send('[]', 'application/json');
      expect(wrong.status, `${method} ${path}`).toBe(422);
      expect(await wrong.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String) } });
      const notJson = await send('{"unfinished":', 'application/json');
      expect(notJson.status, `${method} ${path}`).toBe(400);
      expect(await notJson.json()).toEqual({ error: { code: 'bad_json', message: expect.any(String) } });
      const plain = await send('{}');
      expect(plain.status, `${method} ${path}`).toBe(415);
      expect(await plain.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.any(String) } });
      for (const status of ['400', '415', '422']) expect(op.responses[status], `${method} ${path} documents ${status}`).toBeDefined();
    }
    expect(t.transport.sent).toEqual([]);
  });

  it('the read routes answer what their 200 schemas say', async () => {
    // A version 2 not yet published, so its preview has something to answer.
    const t = testApp({ sequences: buildCatalog([VERSION_PLANS[0]!, { version: 2, summary: 'Without the last email.', steps: VERSION_PLANS[0]!.steps.slice(0, 7) }]) });
    const s = addSubscriber(t.db, { firstName: 'Rowan', confirmedAt: t.clock.now() - 86_400_000, nextStep: 2, nextSendAt: t.clock.now() + 3_600_000, reader: 'supporter' });
    const d = addDelivery(t.db, { subscriberId: s.id, step: 1, sentAt: t.clock.now() - 86_000_000, providerId: 'p-1' });
    addEvent(t.db, { id: 'evt-1', type: 'email.delivered', providerId: 'p-1', deliveryId: d.id, detail: '{"to":"x"}' });
    addActivity(t.db, s.id, 'confirmed', t.clock.now() - 86_400_000, { via: 'link' });
    const batch = t.db.insert(batches).values({ status: 'held', idempotencyKey: 'k-held', attempts: 1, firstAttemptAt: t.clock.now() - 90_000_000, inDoubt: true, createdAt: t.clock.now() - 90_000_000 }).returning().get();
    addDelivery(t.db, { subscriberId: s.id, step: 2, status: 'queued', batchId: batch.id });
    await t.app.request(`/api/subscribers/${s.id}/converted`, request('post', 'editor'));
    const imported = (await (await t.app.request('/api/imports', asStaff({ method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'email\nnope\n' }))).json()) as { id: number };

    // The zod schemas themselves, from the registry the document is generated from.
    const routes = staffApiRoutes(t).openAPIRegistry.definitions.flatMap((def) => (def.type === 'route' && def.route.method === 'get' ? [def.route] : []));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) {
      const path = `${API_BASE}${route.path}`;
      const op = doc.paths[path]!.get!;
      const url = pathOf(path, op, path.startsWith('/api/subscribers/') ? { id: String(s.id) } : path.startsWith('/api/imports/') ? { id: String(imported.id) } : {});
      const res = await t.app.request(url, asStaff());
      if (url.startsWith(`${API_BASE}/sequences/consult-follow-up/versions/`)) {
        // This release has one version of the consult follow-up: nothing to preview (the education series' preview checks the shape).
        expect(res.status, url).toBe(404);
        expect(await res.json()).toEqual({ error: { code: 'unknown_version', message: expect.any(String) } });
        continue;
      }
      expect(res.status, url).toBe(200);
      const content = (route.responses[200] as { content: Record<string, { schema: ZodType }> }).content;
      if (!content['application/json']) {
        expect(res.headers.get('content-type'), url).toBe('text/csv; charset=utf-8');
        continue;
      }
      const schema = content['application/json'].schema;
      const parsed = schema.safeParse(await res.json());
      expect(parsed.success, `${url}: ${parsed.error?.message}`).toBe(true);
    }
  });
});
