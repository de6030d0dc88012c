import { createParamDecorator, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type Competition, LocalArtifactStore } from '@holdout/db';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/principal.js';
import { parseUpload, type ParsedUpload } from './multipart.js';
import { SubmissionsService } from './submissions.service.js';

/** An upload to a competition, parsed: the competition it goes to and what was stored. */
export interface SubmissionUploadInput {
  competition: Competition;
  upload: ParsedUpload;
}

type UploadRequest = Request & { principal?: Principal; submissionUpload?: SubmissionUploadInput };

/**
 * Parses a submission's multipart body for the handler, so that services take typed input: first
 * checks that the competition takes submissions now (nothing is stored otherwise), then streams
 * the files into the artifact store (see multipart.ts). The handler's service removes what was
 * stored when it refuses the submission.
 */
@Injectable()
export class SubmissionUploadInterceptor implements NestInterceptor {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly store: LocalArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = ctx.switchToHttp().getRequest<UploadRequest>();
    const competition = await this.submissions.openFor(req.principal!, String(req.params.slug));
    const upload = await parseUpload(req, this.store, `submissions/${competition.id}`, this.config.uploadLimitBytes);
    req.submissionUpload = { competition, upload };
    return next.handle();
  }
}

/** The parsed upload (with SubmissionUploadInterceptor on the route). */
export const SubmissionUpload = createParamDecorator((_data: unknown, ctx: ExecutionContext): SubmissionUploadInput => {
  const input = ctx.switchToHttp().getRequest<UploadRequest>().submissionUpload;
  if (!input) throw new Error('SubmissionUpload needs SubmissionUploadInterceptor on the route');
  return input;
});
