import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH } from '@holdout/contracts';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { DomainError } from '../../common/domain-error.js';
import { AuthService } from './auth.service.js';
import { PUBLIC_ROUTE, type Principal } from './principal.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the principal on every request and enforces sign-in on non-public routes.
 *
 * CSRF defence for cookie-authenticated changes (POST/PUT/PATCH/DELETE):
 * 1. double-submit token — the `x-csrf-token` header must equal the `holdout_csrf` cookie's
 *    value, which is an HMAC of the session token (so it cannot be forged without the session);
 * 2. when the browser sends `Origin`, it must be the API's own origin or one listed in
 *    HOLDOUT_PUBLIC_ORIGINS.
 * The session cookie is SameSite=Lax as a further layer. Bearer-token requests carry no ambient
 * credentials and are exempt.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()]) ?? false;

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (bearer) {
      const p = await this.auth.fromToken(bearer);
      if (!p) throw new DomainError('unauthenticated', 'the API token is invalid or revoked');
      req.principal = p;
      return true;
    }
    const cookie = (req.cookies as Record<string, string> | undefined)?.[AUTH.sessionCookie];
    if (cookie) {
      const p = await this.auth.fromSession(cookie);
      if (p) {
        if (!SAFE.has(req.method)) this.checkCsrf(req, cookie);
        req.principal = p;
        return true;
      }
    }
    if (isPublic) {
      // Login CSRF: a foreign page must not sign the browser in to an account of its choosing.
      if (!SAFE.has(req.method)) this.checkOrigin(req);
      return true;
    }
    throw new DomainError('unauthenticated', 'sign in first');
  }

  private checkOrigin(req: Request): void {
    const origin = req.header('origin');
    if (origin && origin !== 'null') {
      const own = `${req.protocol}://${req.header('host')}`;
      if (origin !== own && !this.config.publicOrigins.includes(origin)) throw new DomainError('csrf_failed', `requests from ${origin} are not allowed`);
    }
  }

  private checkCsrf(req: Request, sessionToken: string): void {
    this.checkOrigin(req);
    if (!this.auth.csrfValid(sessionToken, req.header(AUTH.csrfHeader))) {
      throw new DomainError('csrf_failed', `missing or wrong ${AUTH.csrfHeader} header (send the value of the ${AUTH.csrfCookie} cookie)`);
    }
  }
}
