import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, EventPublisher, Notifier } from '@holdout/db';
import { Redis } from 'ioredis';
import { REDIS } from '../../infra/infra.module.js';
import { EventsBus } from './events.bus.js';

@Global()
@Module({
  providers: [
    EventsBus,
    { provide: EventPublisher, inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, config: AppConfig) => new EventPublisher(redis, config.queuePrefix) },
    { provide: Notifier, inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, config: AppConfig) => new Notifier(redis, config.queuePrefix) },
  ],
  exports: [EventsBus, EventPublisher, Notifier],
})
export class EventsModule {}
