import { FAILURE_CLASSES, KERNEL_RUN_OUTCOMES, MODEL_RUN_OUTCOMES, KERNEL_RUN_PHASES, KERNEL_RUN_STEPS, SUBMISSION_KINDS, SUBMISSION_STATUSES } from '@holdout/rules';

// CHECK constraints of the enum-like columns, built from the lists in libs/rules so that the
// database refuses what the code does not know. Entities declare them (@Check), the migration
// AddEnumChecks creates them, and the drift test compares the two.
const inList = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
const oneOf = (column: string, xs: readonly string[], nullable = false) => `${nullable ? `"${column}" IS NULL OR ` : ''}"${column}" IN (${inList(xs)})`;

export const CHECKS = {
  submissionStatus: { name: 'CHK_submissions_status', table: 'submissions', expression: oneOf('status', SUBMISSION_STATUSES) },
  submissionKind: { name: 'CHK_submissions_kind', table: 'submissions', expression: oneOf('kind', SUBMISSION_KINDS) },
  submissionErrorClass: { name: 'CHK_submissions_error_class', table: 'submissions', expression: oneOf('error_class', FAILURE_CLASSES, true) },
  submissionRunPhase: { name: 'CHK_submissions_run_phase', table: 'submissions', expression: oneOf('run_phase', KERNEL_RUN_PHASES, true) },
  kernelRunPhase: { name: 'CHK_kernel_runs_phase', table: 'kernel_runs', expression: oneOf('phase', KERNEL_RUN_PHASES) },
  kernelRunStep: { name: 'CHK_kernel_runs_step', table: 'kernel_runs', expression: oneOf('step', KERNEL_RUN_STEPS) },
  kernelRunOutcome: { name: 'CHK_kernel_runs_outcome', table: 'kernel_runs', expression: oneOf('outcome', KERNEL_RUN_OUTCOMES, true) },
  modelRunOutcome: { name: 'CHK_model_runs_outcome', table: 'model_runs', expression: oneOf('outcome', MODEL_RUN_OUTCOMES, true) },
  kernelEntryKind: { name: 'CHK_kernel_submissions_entry_kind', table: 'kernel_submissions', expression: oneOf('entry_kind', ['py', 'ipynb']) },
  competitionDataStatus: { name: 'CHK_competitions_data_status', table: 'competitions', expression: oneOf('data_status', ['pending', 'ready', 'failed']) },
  teamInviteStatus: { name: 'CHK_team_invites_status', table: 'team_invites', expression: oneOf('status', ['pending', 'accepted', 'declined', 'cancelled']) },
  rosterRole: { name: 'CHK_course_roster_role', table: 'course_roster', expression: oneOf('role', ['student', 'ta']) },
  notificationEmail: { name: 'CHK_notifications_email_state', table: 'notifications', expression: oneOf('email_state', ['pending', 'sent', 'skipped', 'failed']) },
  membershipRole: { name: 'CHK_memberships_role', table: 'memberships', expression: oneOf('role', ['instructor', 'ta', 'student']) },
} as const;
