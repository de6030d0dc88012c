import { Module } from '@nestjs/common';
import { KernelsModule } from '../kernels/kernels.module.js';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

@Module({ imports: [KernelsModule], controllers: [OperationsController], providers: [OperationsService] })
export class OperationsModule {}
