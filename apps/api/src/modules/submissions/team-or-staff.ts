import { notFound } from '../../common/domain-error.js';
import type { Principal } from '../auth/principal.js';
import type { CompetitionAccess } from '../competitions/competition-access.service.js';
import type { SubmissionsRepository } from './submissions.repository.js';

/**
 * A submission with its team and competition, if `p` is on that team or on the course staff;
 * not-found for anyone else (never forbidden: nobody learns that the id exists).
 */
export async function findForTeamOrStaff(repo: SubmissionsRepository, access: CompetitionAccess, p: Principal, id: string) {
  const row = await repo.findWithTeam(id);
  if (!row) throw notFound('submission');
  const c = row.s.competition!;
  const role = await access.roleOf(p, c);
  const staff = role === 'instructor' || role === 'ta';
  if (!staff && !(await repo.isMember(row.s.teamId, p.userId))) throw notFound('submission');
  return { row, c, role, staff };
}
