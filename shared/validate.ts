import type { z } from 'zod';
import { McptestError } from './errors.js';

/** Parses `data` with a zod schema, turning failures into one readable invalid_request error. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new McptestError('invalid_request', `invalid ${what}: ${issues}`, {
    details: {
      issues: result.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message })),
    },
  });
}
