import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { AppModule, type AppOptions } from './app.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import { securityHeaders } from './common/security-headers.js';

/** Builds the configured Nest application (not listening). Used by main.ts and the tests. */
export async function createApp(o: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(o), { logger: o.logger, bodyParser: false, abortOnError: false });
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.disable('x-powered-by');
  // First, so that every answer carries them: errors, 404s and the body parser's refusals too.
  app.use(securityHeaders({ docsPath: '/api/docs', behindTls: o.config.cookieSecure }));
  app.use(requestIdMiddleware(o.logger));
  app.use(cookieParser());
  // JSON bodies only; multipart uploads are streamed by the submissions module.
  app.useBodyParser('json', { limit: '1mb' });
  app.setGlobalPrefix('api');
  // Browsers on the listed origins (e.g. the web app on another port) may call with cookies.
  if (o.config.publicOrigins.length) app.enableCors({ origin: o.config.publicOrigins, credentials: true, exposedHeaders: ['x-request-id', 'etag'] });
  app.useGlobalFilters(new ErrorFilter(o.logger));
  app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('Holdout API')
    .setDescription('Kaggle-style competitions for image segmentation courses. Errors: `{error:{code,message,details?},requestId}`. Cookie-authenticated writes need the `x-csrf-token` header (value of the `holdout_csrf` cookie); API tokens go in `Authorization: Bearer`.')
    .setVersion('1')
    .addBearerAuth()
    .addCookieAuth('holdout_session')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'api/docs/json' });
  return app;
}
