import type { z } from 'zod';
import { badRequest } from './domain-error.js';

/** Parses untrusted input with a schema; a failure becomes a 400 listing every problem. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw badRequest(
      r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}
