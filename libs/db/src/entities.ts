// Every entity of the schema, in the order TypeORM registers them.
import { ApiToken } from './entities/api-token.entity.js';
import { Session } from './entities/session.entity.js';
import { AuditEvent } from './entities/audit-event.entity.js';
import { Competition } from './entities/competition.entity.js';
import { SolutionVersion } from './entities/solution-version.entity.js';
import { Course } from './entities/course.entity.js';
import { CourseRosterEntry } from './entities/course-roster-entry.entity.js';
import { Membership } from './entities/membership.entity.js';
import { KernelPolicy } from './entities/kernel-policy.entity.js';
import { KernelSubmission } from './entities/kernel-submission.entity.js';
import { KernelRun } from './entities/kernel-run.entity.js';
import { ModelRun } from './entities/model-run.entity.js';
import { ScoreRecord } from './entities/score-record.entity.js';
import { Submission } from './entities/submission.entity.js';
import { TeamMember } from './entities/team-member.entity.js';
import { Team } from './entities/team.entity.js';
import { TeamInvite } from './entities/team-invite.entity.js';
import { User } from './entities/user.entity.js';
import { Notification } from './entities/notification.entity.js';


export const ENTITIES = [User, Session, ApiToken, Course, CourseRosterEntry, Membership, Competition, SolutionVersion, Team, TeamMember, TeamInvite, Submission, ScoreRecord, KernelRun, ModelRun, KernelSubmission, KernelPolicy, AuditEvent, Notification];
