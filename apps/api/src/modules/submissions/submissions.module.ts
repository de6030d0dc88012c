import { Module } from '@nestjs/common';
import { ModelSubmissions } from './model-submissions.service.js';
import { CompetitionsModule } from '../competitions/competitions.module.js';
import { KernelsModule } from '../kernels/kernels.module.js';
import { SubmissionsController } from './submissions.controller.js';
import { SubmissionUploadInterceptor } from './submission-upload.interceptor.js';
import { SubmissionsService } from './submissions.service.js';

@Module({ imports: [CompetitionsModule, KernelsModule], controllers: [SubmissionsController], providers: [SubmissionsService, ModelSubmissions, SubmissionUploadInterceptor], exports: [SubmissionsService] })
export class SubmissionsModule {}
