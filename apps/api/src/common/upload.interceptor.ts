import { createParamDecorator, Inject, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, ARTIFACT_STORE, type ArtifactStore } from '@holdout/db';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { Principal } from '../modules/auth/principal.js';
import { parseUpload, type ParsedUpload } from '../modules/submissions/multipart.js';
import { RATE_RULES, RateLimiter } from './rate-limit.js';

/** What a route with an upload receives: what `admit` found, and the multipart body parsed (null for a JSON body). */
export interface UploadInput<C> {
  context: C;
  upload: ParsedUpload | null;
  /** The JSON body when the request was not multipart. */
  body: unknown;
}

type UploadRequest = Request & { principal?: Principal; uploadInput?: UploadInput<unknown> };

/**
 * Parses a route's multipart body for its handler, so that services take typed input, never the
 * request: first the account's uploads are counted (HOLDOUT_UPLOADS_PER_MINUTE, in Redis: 429
 * when over), then `admit` checks that the principal may upload here (nothing is stored
 * otherwise) and says where the files go, then the body is streamed into the artifact store
 * (multipart.ts: size limits, checksums, nothing buffered). A route that also takes JSON
 * (`jsonAllowed`) gets `upload: null` and the parsed body. The service removes what was stored
 * when it refuses the upload.
 */
export abstract class UploadInterceptor<C> implements NestInterceptor {
  /** The field of the main file (`file`, `bundle`, `solution`). */
  protected abstract readonly field: string;
  protected readonly jsonAllowed: boolean = false;

  // Injected as properties, so that subclasses' constructors take only their own dependencies
  // (a base constructor's @Inject would add to the parameter metadata subclasses inherit).
  @Inject(ARTIFACT_STORE) protected readonly store!: ArtifactStore;
  @Inject(APP_CONFIG) protected readonly config!: AppConfig;
  @Inject(RateLimiter) protected readonly limiter!: RateLimiter;

  /** Who may upload here, checked before anything is stored; the context for the handler and the store folder. */
  protected abstract admit(p: Principal, params: Record<string, string>): Promise<{ context: C; keyPrefix: string }>;

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = ctx.switchToHttp().getRequest<UploadRequest>();
    // Before anything is read or stored: a flood costs one Redis round trip per request.
    await this.limiter.take(RATE_RULES.uploads(this.config), req.principal!.userId);
    const { context, keyPrefix } = await this.admit(req.principal!, req.params as Record<string, string>);
    const multipart = Boolean(req.is('multipart/form-data'));
    const upload = multipart || !this.jsonAllowed ? await parseUpload(req, this.store, keyPrefix, this.config.uploadLimitBytes, this.field) : null;
    req.uploadInput = { context, upload, body: upload ? undefined : req.body };
    return next.handle();
  }
}

/** The parsed upload of a route with an UploadInterceptor. */
export const Upload = createParamDecorator((_data: unknown, ctx: ExecutionContext): UploadInput<unknown> => {
  const input = ctx.switchToHttp().getRequest<UploadRequest>().uploadInput;
  if (!input) throw new Error('@Upload() needs an UploadInterceptor on the route');
  return input;
});
