import type { Context } from 'hono';
import type { z } from 'zod';
import { errorBody } from '../errors.js';

/** An API request's JSON body checked against `schema`, or the 400/422 answer that says what is wrong. */
export async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return c.json(errorBody('bad_json', 'Send a JSON body.'), 400);
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : c.json(errorBody('invalid_input', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')), 422);
}
