import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CompetitionsModule } from '../competitions/competitions.module.js';
import { KernelHosts } from './kernel-hosts.service.js';
import { KernelPolicies } from './kernel-policies.service.js';
import { KernelQueues } from './kernel-queues.js';
import { KernelSubmissions } from './kernel-submissions.service.js';
import { KernelsController } from './kernels.controller.js';

/** Kernel submissions: admission, GPU budget, cancel, logs. The upload route itself is the submissions module's. */
@Module({ imports: [AuditModule, CompetitionsModule], controllers: [KernelsController], providers: [KernelQueues, KernelPolicies, KernelSubmissions, KernelHosts], exports: [KernelSubmissions, KernelPolicies, KernelQueues] })
export class KernelsModule {}
