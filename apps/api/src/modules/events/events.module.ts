import { Global, Module } from '@nestjs/common';
import { EventsBus } from './events.bus.js';
import { EventsPublisher } from './events.publisher.js';

@Global()
@Module({ providers: [EventsBus, EventsPublisher], exports: [EventsBus, EventsPublisher] })
export class EventsModule {}
