import { ApiToken } from '../modules/auth/entities/api-token.entity.js';
import { Session } from '../modules/auth/entities/session.entity.js';
import { AuditEvent } from '../modules/audit/entities/audit-event.entity.js';
import { Competition } from '../modules/competitions/entities/competition.entity.js';
import { SolutionVersion } from '../modules/competitions/entities/solution-version.entity.js';
import { Course } from '../modules/courses/entities/course.entity.js';
import { Membership } from '../modules/courses/entities/membership.entity.js';
import { KernelPolicy } from '../modules/kernels/entities/kernel-policy.entity.js';
import { KernelSubmission } from '../modules/kernels/entities/kernel-submission.entity.js';
import { KernelRun } from '../modules/submissions/entities/kernel-run.entity.js';
import { ScoreRecord } from '../modules/submissions/entities/score-record.entity.js';
import { Submission } from '../modules/submissions/entities/submission.entity.js';
import { TeamMember } from '../modules/teams/entities/team-member.entity.js';
import { Team } from '../modules/teams/entities/team.entity.js';
import { User } from '../modules/users/entities/user.entity.js';

export type { KernelAttachment } from '../modules/kernels/entities/kernel-submission.entity.js';
export { ApiToken, AuditEvent, Competition, Course, KernelPolicy, KernelRun, KernelSubmission, Membership, ScoreRecord, Session, SolutionVersion, Submission, Team, TeamMember, User };

export const ENTITIES = [User, Session, ApiToken, Course, Membership, Competition, SolutionVersion, Team, TeamMember, Submission, ScoreRecord, KernelRun, KernelSubmission, KernelPolicy, AuditEvent];
