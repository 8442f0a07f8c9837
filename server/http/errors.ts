// One error shape for every refusal the HTTP layer makes: ComfyUI's {error: {type, message, details,
// extra_info}}, always JSON, never a stack.
import type { NextFunction, Request, Response } from 'express';
import { FileAreaError } from '../store/file-areas.js';
import { ImageRejectedError } from '../media/codec.js';

/** An error the API answers with `status` and a JSON body; throw it from a route. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details = '',
  ) {
    super(message);
  }
}

/** Writes the JSON error body. */
export function sendError(res: Response, status: number, type: string, message: string, details = ''): void {
  if (res.headersSent) return;
  res.status(status).json({ error: { type, message, details, extra_info: {} } });
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
}

/** Express error handler: maps known errors to 4xx, everything else to a 500 whose stack stays in the log. */
export function errorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (error instanceof HttpError) return sendError(res, error.status, error.type, error.message, error.details);
  if (error instanceof FileAreaError) return sendError(res, error.status, 'bad_file_reference', error.message);
  if (error instanceof ImageRejectedError) return sendError(res, 400, 'invalid_image', error.message);
  const parser = error as BodyParserError;
  switch (parser?.type) {
    case 'entity.too.large':
      return sendError(res, 413, 'body_too_large', `the request body is larger than the limit of ${parser.limit} bytes`);
    case 'entity.parse.failed':
      return sendError(res, 400, 'invalid_json', 'the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return sendError(res, 415, 'unsupported_encoding', 'the request body encoding is not supported (send UTF-8 JSON)');
    case 'request.aborted':
      return sendError(res, 400, 'request_aborted', 'the request was aborted while its body was read');
    default:
      break;
  }
  const status = parser?.status ?? parser?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendError(res, status, 'bad_request', 'the request could not be read');
  }
  console.error(`${req.method} ${req.path} failed:`, error);
  sendError(res, 500, 'server_error', 'the server failed to answer this request; the details are in its log');
}
