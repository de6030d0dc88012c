import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../../common/domain-error.js';

/** Who is making the request, and how they proved it. */
export interface Principal {
  userId: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
  via: 'session' | 'token';
  /** Session or token row id (logout / revocation). */
  credentialId: string;
}

export const PUBLIC_ROUTE = 'holdout:public';
/** The route needs no sign-in (the principal is still resolved when credentials are present). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const p = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!p) throw new DomainError('unauthenticated', 'sign in first');
  return p;
});

export const OptionalUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal | null => {
  return ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal ?? null;
});
