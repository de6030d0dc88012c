import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * JSON, files and event streams run no script, load nothing and are never framed: a response
 * opened as a page (a file a student uploaded, an error echoing input) can do nothing.
 */
const API_POLICY = {
  useDefaults: false,
  directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
};

/** Swagger UI (`/api/docs`): its own scripts and stylesheet, inline styles, data: icons, and fetches its own JSON. */
const DOCS_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * helmet's headers on every API response, errors and 404s included: a strict CSP (Swagger UI's
 * own under `docsPath`), `nosniff`, `no-referrer`, COOP `same-origin`, CORP `same-site` (the web
 * app proxies /api from its own origin; other sites cannot embed API responses), `X-Frame-Options`.
 * HSTS only over TLS: when the request came over HTTPS (directly, or `X-Forwarded-Proto` from a
 * trusted proxy: `req.secure`), or always when the configuration says the platform is served
 * over HTTPS (`behindTls`: HOLDOUT_COOKIE_SECURE / an https:// public origin). Browsers ignore
 * HSTS over plain HTTP anyway; sending it only then keeps a plain-HTTP development machine clean.
 */
export function securityHeaders(o: { docsPath: string; behindTls: boolean }): RequestHandler {
  const common = helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-site' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
  const api = helmet.contentSecurityPolicy(API_POLICY);
  const docs = helmet.contentSecurityPolicy(DOCS_POLICY);
  const hsts = helmet.strictTransportSecurity({ maxAge: 365 * 86_400, includeSubDomains: true });
  const docsPrefix = o.docsPath.replace(/\/$/, '');
  return (req: Request, res: Response, next: NextFunction) => {
    common(req, res, (err?: unknown) => {
      if (err) return next(err);
      const isDocs = req.path === docsPrefix || req.path.startsWith(`${docsPrefix}/`);
      (isDocs ? docs : api)(req, res, (err2?: unknown) => {
        if (err2) return next(err2);
        if (req.secure || o.behindTls) hsts(req, res, next);
        else next();
      });
    });
  };
}
