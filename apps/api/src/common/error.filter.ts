import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { ApiErrorCode, ErrorBody } from '@holdout/contracts';
import type { Request, Response } from 'express';
import { DomainError, httpStatusOf } from './domain-error.js';
import type { JsonLogger } from '@holdout/db';
import { requestIdOf } from './request-id.middleware.js';

/** How long a client is asked to wait when the artifact disk is full. */
const STORAGE_FULL_RETRY_S = 60;

/** The one place errors become HTTP: `{error:{code,message,details?},requestId}`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = requestIdOf(req);
    const { status, error } = this.toBody(exception);
    if (status >= 500) {
      this.logger.write('error', 'unhandled error', { requestId, err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : String(exception) });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    // A 429 or 503 says when to come back (RFC 9110 §10.2.3), as its details do.
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if ((status === 429 || status === 503) && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    const body: ErrorBody = { error, requestId };
    res.status(status).json(body);
  }

  private toBody(exception: unknown): { status: number; error: ErrorBody['error'] } {
    if (exception instanceof DomainError) {
      return { status: httpStatusOf(exception.code), error: { code: exception.code, message: exception.message, ...(exception.details !== undefined ? { details: exception.details } : {}) } };
    }
    if (exception instanceof HttpException) {
      // Framework errors (unknown route, body parser, method): keep their status, use our shape.
      const status = exception.getStatus();
      const code: ApiErrorCode = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status < 500 ? 'bad_request' : 'internal';
      return { status, error: { code, message: status < 500 ? exception.message : 'internal error' } };
    }
    const e = exception as { type?: string; status?: number; code?: unknown };
    // The artifact disk (or its quota) is full: the upload was removed as it failed (multipart.ts)
    // and nothing was charged, so the client may simply come back once an operator has made room.
    if (e && (e.code === 'ENOSPC' || e.code === 'EDQUOT')) {
      return { status: 503, error: { code: 'unavailable', message: "the server's storage is full: nothing was stored and nothing was charged; try again later", details: { retryAfterSeconds: STORAGE_FULL_RETRY_S } } };
    }
    if (e && e.type === 'entity.parse.failed') return { status: 400, error: { code: 'bad_request', message: 'request body is not valid JSON' } };
    if (e && e.type === 'entity.too.large') return { status: 413, error: { code: 'payload_too_large', message: 'request body too large' } };
    return { status: 500, error: { code: 'internal', message: 'internal error' } };
  }
}
