import { Injectable } from '@nestjs/common';
import type { Competition } from '@holdout/db';
import { UploadInterceptor, type UploadInput } from '../../common/upload.interceptor.js';
import type { Principal } from '../auth/principal.js';
import type { ParsedUpload } from './multipart.js';
import { SubmissionsService } from './submissions.service.js';

/** An upload to a competition, parsed: the competition it goes to and what was stored. */
export interface SubmissionUploadInput {
  competition: Competition;
  upload: ParsedUpload;
}

/** A submission's upload: the competition must take submissions now (checked before anything is stored). */
@Injectable()
export class SubmissionUploadInterceptor extends UploadInterceptor<Competition> {
  protected readonly field = 'file';

  constructor(private readonly submissions: SubmissionsService) {
    super();
  }

  protected async admit(p: Principal, params: Record<string, string>): Promise<{ context: Competition; keyPrefix: string }> {
    const competition = await this.submissions.openFor(p, String(params.slug));
    return { context: competition, keyPrefix: `submissions/${competition.id}` };
  }
}

/** The parsed submission upload (multipart only: the interceptor refuses any other body). */
export const toSubmissionUpload = (input: UploadInput<Competition>): SubmissionUploadInput => ({ competition: input.context, upload: input.upload! });
