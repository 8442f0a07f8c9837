// JSON bodies for every route but uploads: parsed whatever the Content-Type says (ComfyUI clients often send
// text/plain), size-limited, and depth-limited so a deeply nested body cannot blow a recursive walk later.
import express, { type NextFunction, type Request, type Response, type RequestHandler } from 'express';
import { HttpError } from './errors.js';

/** Depth of nested objects/arrays, measured without recursion; stops counting past `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Middleware parsing JSON bodies up to `limitBytes` and `maxDepth`; multipart bodies are left for the upload route. */
export function jsonBody(limitBytes: number, maxDepth: number): RequestHandler {
  const parse = express.json({
    limit: limitBytes,
    strict: false,
    type: (req) => !String(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/'),
  });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (req.body !== undefined && jsonDepthExceeds(req.body, maxDepth)) {
        return next(new HttpError(400, 'invalid_json', `the JSON body is nested deeper than ${maxDepth} levels`));
      }
      next();
    });
  };
}

/** The body as an object: {} when absent or empty; HttpError 400 when it is JSON but not an object. */
export function bodyObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid_json', 'the JSON body must be an object');
  return body as Record<string, unknown>;
}
