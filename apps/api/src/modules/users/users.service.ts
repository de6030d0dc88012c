import { Injectable } from '@nestjs/common';
import type { AdminUserDto } from '@holdout/contracts';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { forbidden, notFound } from '../../common/domain-error.js';
import { parseWith } from '../../common/zod-body.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { User } from '@holdout/db';

const searchSchema = z.strictObject({ email: z.string().trim().toLowerCase().max(320).optional() });
const courseCreatorSchema = z.strictObject({ allowed: z.boolean() });

/** Site administration of accounts: who may open courses. Site admins only. */
@Injectable()
export class UsersService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Up to 100 accounts, newest first; `email` filters by a part of the address. */
  async list(p: Principal, query: unknown): Promise<AdminUserDto[]> {
    requireAdmin(p);
    const { email } = parseWith(searchSchema, query);
    const qb = this.ds.getRepository(User).createQueryBuilder('u').orderBy('u.createdAt', 'DESC').limit(100);
    if (email) qb.where(`u.email LIKE :like ESCAPE '\\'`, { like: `%${email.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    return (await qb.getMany()).map(toAdminUserDto);
  }

  async setCourseCreator(p: Principal, userId: string, input: unknown): Promise<AdminUserDto> {
    requireAdmin(p);
    const { allowed } = parseWith(courseCreatorSchema, input);
    return this.ds.transaction(async (m) => {
      const user = await m.getRepository(User).findOneBy({ id: userId });
      if (!user) throw notFound('user');
      await m.getRepository(User).update({ id: userId }, { canCreateCourses: allowed });
      await this.audit.record({ actorId: p.userId, action: 'user.course-creator', subjectType: 'user', subjectId: userId, data: { before: user.canCreateCourses, after: allowed } }, m);
      return toAdminUserDto({ ...user, canCreateCourses: allowed });
    });
  }
}

function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw forbidden('only site administrators manage accounts');
}

function toAdminUserDto(u: User): AdminUserDto {
  return { id: u.id, email: u.email, displayName: u.displayName, isAdmin: u.isAdmin, canCreateCourses: u.canCreateCourses, createdAt: u.createdAt.toISOString() };
}
