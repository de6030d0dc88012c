import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitModule } from '../../common/rate-limit.js';
import { CoursesModule } from '../courses/courses.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { Mailer } from './mailer.js';
import { PasswordResets } from './password-reset.service.js';
import { SignInThrottle } from './sign-in-throttle.js';

@Module({
  // RateLimitModule is global: imported here once, it serves the upload routes of other modules too.
  imports: [CoursesModule, RateLimitModule],
  controllers: [AuthController],
  providers: [AuthService, SignInThrottle, Mailer, PasswordResets, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, Mailer],
})
export class AuthModule {}
