import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestContext, type JsonLogger } from '@holdout/db';

const VALID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Assigns each request an id (or keeps a sane incoming `x-request-id`) and logs one line per response. */
export function requestIdMiddleware(logger: JsonLogger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && VALID.test(incoming) ? incoming : randomUUID();
    (req as Request & { requestId: string }).requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The query string is left out: it may carry nothing secret today, but logs outlive today.
      // Changes and failures at info; successful reads (leaderboard polls) only at debug.
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 || !(req.method === 'GET' || req.method === 'HEAD') ? 'info' : 'debug';
      logger.write(level, 'request', {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      });
    });
    requestContext.run({ requestId }, next);
  };
}

export function requestIdOf(req: unknown): string {
  return (req as { requestId?: string }).requestId ?? 'unknown';
}
