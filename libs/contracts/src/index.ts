/**
 * Shapes shared by the API, the worker, the web front end and the CLI.
 * Plain types and constants only: this package imports nothing.
 */

export type Role = 'instructor' | 'ta' | 'student';
export type MetricName = 'dice' | 'instance-map';
export type RleOrder = 'column' | 'row';
export type Split = 'public' | 'private';
export type SubmissionKind = 'file' | 'kernel' | 'model';

/**
 * Lifecycle of a submission. `queued` → (`scoring` | `running`) → `scored` | `failed` | `cancelled`;
 * `complete`: a kernel run without submitting (its public run ended with a valid file; never scored).
 */
export type SubmissionStatus = 'queued' | 'running' | 'scoring' | 'scored' | 'failed' | 'cancelled' | 'complete';

/**
 * The two runs of a kernel submission, as Kaggle's "save, then submit": first over the public
 * data only (its log and output files go to the team), then, when that wrote a valid file, over
 * the hidden test data (only its result class goes to participants, unless the competition shows
 * logs). Where the test images are public (the competition also takes files), the public run
 * sees them all and its output is the submission: there is no hidden run.
 */
export type KernelRunPhase = 'public' | 'hidden';

/**
 * Why a submission failed. The first group is the participant's doing (not retried; a
 * `validation` failure is not charged to the daily quota), the last is ours (retried, never charged).
 * Kernel classes follow Kaggle's.
 */
export type FailureClass =
  | 'validation' // the prediction file was rejected by the scorer
  | 'timeout' // kernel ran past its wall-clock limit
  | 'oom' // kernel exceeded its memory limit
  | 'exception' // kernel exited non-zero
  | 'no-submission-file' // kernel finished without /kaggle/working/submission.csv
  | 'scoring-error' // kernel output was rejected by the scorer
  | 'cancelled'
  | 'infrastructure';

/** Every error response of the API has this shape. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
  requestId: string;
}

/**
 * Why the scorer refused a file (`holdout score`'s `error.code`, a submission's `error.code`).
 * libs/metrics throws these; the worker checks at compile time that its list and this one agree.
 */
export type ScoringErrorCode =
  | 'invalid_token'
  | 'odd_token_count'
  | 'non_positive_run'
  | 'unsorted_runs'
  | 'overlapping_runs'
  | 'run_out_of_image'
  | 'unknown_image_id'
  | 'missing_image_id'
  | 'duplicate_image_id'
  | 'overlapping_instances'
  | 'bad_header'
  | 'malformed_csv'
  | 'field_too_large'
  | 'not_utf8'
  | 'binary_file'
  | 'invalid_dimensions'
  | 'invalid_usage'
  | 'empty_solution'
  | 'unreadable_file'
  | 'invalid_options'
  | 'scoring_timeout'; // the scorer ran past its time limit (worker)

/**
 * Every `error.code` a failed submission carries: the scorer's rejection, a kernel run's failure
 * (Kaggle's classes, as codes), or the platform's (`infrastructure`; `stuck`: scoring never
 * finished; `lost`: a run's worker kept dying; `model_not_supported`: a model upload from before
 * the platform ran models; `model_output`: a model produced NaN or an output of the wrong shape).
 */
export type SubmissionErrorCode =
  | ScoringErrorCode
  | 'timeout'
  | 'oom'
  | 'exception'
  | 'no_submission_file'
  | 'cancelled'
  | 'infrastructure'
  | 'stuck'
  | 'lost'
  | 'model_not_supported'
  | 'model_output';

/**
 * Every code a client can receive, in one spelling (lower snake_case): API errors and a
 * submission's failure. Failure *classes* (`FailureClass`) are Kaggle's kebab-case words, a
 * separate field.
 */
export type ErrorCode = ApiErrorCode | SubmissionErrorCode;

/** A scorer's rejection: which row of which file, and what is wrong with it. */
export interface ValidationErrorDto {
  code: SubmissionErrorCode;
  message: string;
  row?: number | null;
}

export interface UserDto {
  id: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
}

export interface MeDto extends UserDto {
  courses: CourseDto[];
  /** May open a course (site admins, users an admin approved, or everyone where the site allows it). */
  canCreateCourses: boolean;
}

/** A user as a site admin sees it (`GET /api/admin/users`). */
export interface AdminUserDto extends UserDto {
  canCreateCourses: boolean;
  createdAt: string;
}

/** `GET /api/admin/status` (site admins): what an operator watches (docs/operations.md). */
export interface OperationsStatusDto {
  generatedAt: string;
  /** Every BullMQ queue: jobs by state and the workers connected to it. */
  queues: { name: string; waiting: number; active: number; delayed: number; failed: number; workers: number }[];
  /** Submissions not yet scored or failed, by status, with the age of the oldest in seconds. */
  unfinished: { status: string; count: number; oldestSeconds: number }[];
  /** Queued or scoring longer than HOLDOUT_STUCK_AFTER_S: the reconciler re-enqueues these; a number that stays up means no worker is taking them. */
  stuck: number;
  /** Kernel and model runs in progress. */
  running: { kernels: number; gpuKernels: number; models: number };
  /** GPU hours used this week (Monday 00:00 UTC on), counted as the budget counts them, and the teams that used any. */
  gpu: { weekStart: string; usedHours: number; teams: number };
  /** Competitions whose close has passed but whose private board is not revealed, and data builds pending or failed. */
  competitions: { awaitingReveal: number; dataPending: number; dataFailed: number };
}

export interface CourseDto {
  id: string;
  name: string;
  role: Role;
  /** Shown to instructors and TAs only; null when revoked (nobody can join by code). */
  joinCode?: string | null;
  /** Staff only: when the join code stops working (null: never). */
  joinCodeExpiresAt?: string | null;
}

/**
 * `POST /api/courses/:id/roster` `{csv, apply}`: a roster of e-mail addresses (a CSV with an
 * \`email\` column, optional \`role\` student or ta), checked row by row; with \`apply: true\` the
 * valid rows take effect: existing accounts join at once, others when they sign up with that
 * address. Nothing changes when a row is invalid.
 */
export interface RosterImportDto {
  applied: boolean;
  rows: { row: number; email: string; role: 'student' | 'ta'; status: 'invalid' | 'member' | 'joins' | 'joins-on-sign-up'; problem: string | null }[];
  counts: { joins: number; joinsOnSignUp: number; members: number; invalid: number };
}

export interface TokenDto {
  id: string;
  name: string;
  /** The secret; present only in the response that created it. */
  token?: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export type CompetitionState = 'upcoming' | 'open' | 'closed';

export interface CompetitionSummaryDto {
  slug: string;
  title: string;
  courseId: string | null;
  metric: MetricName;
  submissionKinds: SubmissionKind[];
  opensAt: string;
  teamMergeDeadline: string | null;
  closesAt: string;
  state: CompetitionState;
  /** True once the private leaderboard has been revealed. */
  revealed: boolean;
  /** For the course staff (and site admins) only: teams that submitted, submissions, and how many are still queued or running. */
  activity?: { teams: number; submissions: number; unfinished: number };
}

export interface CompetitionPagesDto {
  overview: string;
  data: string;
  evaluation: string;
  rules: string;
}

export interface CompetitionDto extends CompetitionSummaryDto {
  pages: CompetitionPagesDto;
  limits: { dailySubmissions: number; finalSelections: number; maxTeamSize: number };
  /** What participants learn beyond the public score (see competition.yaml `feedback`). */
  feedback: { perImagePublic: boolean };
  /** How participants see the boards: other teams under pseudonyms; the public board frozen for the last `freezeDays` days (from `freezesAt`). */
  leaderboard: { anonymous: boolean; freezeDays: number; freezesAt: string | null };
  rleOrder: RleOrder;
  /** False while the competition's data is still being built (uploads and downloads wait). Added by the API. */
  dataReady?: boolean;
  /** The viewer's own standing, when the viewer is a member. */
  viewer?: { role: Role; teamId: string | null; submissionsToday: number; quotaResetsAt: string };
  /** The kinds of submission the competition's bundle offers: what an instructor may turn on (`submissionKinds` is what is on). */
  availableKinds?: SubmissionKind[];
  /** PATCH only: what the platform changed besides what was asked (a merge deadline that followed the close). */
  notes?: string[];
  /** Where the competition takes models: the pipeline a submitted ONNX model is run through (what a model must fit, and what `holdout predict` reproduces locally). */
  model?: ModelPipelineDto | null;
}

/** The tiled pipeline of model submissions, as the competition's `model:` section declares it. */
export interface ModelPipelineDto {
  input: { channels: 1 | 3; mean: number[]; std: number[] };
  output: { kind: 'logits' | 'probabilities'; channels: number };
  views: { window: number; size: number; stride: number }[];
  blend: 'center-crop' | 'count' | 'gaussian';
  tta: ('identity' | 'hflip' | 'vflip' | 'rot90' | 'rot180' | 'rot270')[];
  threshold: number;
  tissue: { minTissue: number };
  /** `classes`: the model's last output channels, one probability per class; each instance is kept by its class's minArea. */
  instances?: { method: 'components' | 'watershed'; minArea: number; classes?: { name: string; minArea: number }[] };
  maxSizeBytes: number;
  timeLimitSeconds: number;
}

export interface DataFileDto {
  /** Path relative to the competition's public data, e.g. `train/abc.tiff`. */
  name: string;
  size: number;
  etag: string;
}

/**
 * `GET /api/competitions/:slug/tiles/<file>/info` for a public pyramidal TIFF; tiles are
 * `…/tiles/<file>/<level>/<x>/<y>.jpg|png|webp`, `tileSize` square (cropped at the edges).
 * Level 0 is full scale; each next level halves the one before.
 */
export interface TileInfoDto {
  width: number;
  height: number;
  tileSize: number;
  levels: { width: number; height: number }[];
}

export interface SubmissionDto {
  id: string;
  competitionSlug: string;
  teamId: string;
  teamName: string;
  kind: SubmissionKind;
  status: SubmissionStatus;
  description: string | null;
  cvScore: number | null;
  fileName: string | null;
  publicScore: number | null;
  /** Null until the reveal, whatever the submission's state. */
  privateScore: number | null;
  late: boolean;
  selected: boolean;
  createdAt: string;
  scoredAt: string | null;
  error: (ValidationErrorDto & { class: FailureClass }) | null;
  /** Whether it counts against the team's daily quota now (a kernel that failed in its public run does not). */
  charged: boolean;
  /** Kernels: started with "run without submitting" (the public run only; never scored or charged). */
  runOnly: boolean;
  /** Kernels: the run it is in or ended in (null before its first run, and for files). */
  run: KernelRunPhase | null;
  /** Disqualified by an instructor (never ranked), and why. */
  disqualified: { reason: string; at: string } | null;
}

export interface SubmissionDetailDto extends SubmissionDto {
  /** Per-image public scores; private images never appear before the reveal. */
  perImagePublic: Record<string, number> | null;
}

/**
 * Where an unfinished kernel submission stands: sent on its event stream with each status change
 * and every few seconds while it waits or runs.
 */
export interface SubmissionProgressDto {
  phase: 'queued' | 'running' | 'scoring';
  /** Running: which of the kernel's runs (public data first, then the hidden test data). */
  run: KernelRunPhase | null;
  /** Queued: 1 = the next to start among the kernels waiting for the same kind of worker. */
  position: number | null;
  /** Queued: how many kernels wait for that kind of worker in all. */
  waiting: number | null;
  /** Queued: a rough wait from this competition's recent runs and the workers online; null when unknown. */
  etaSeconds: number | null;
  /** Running or scoring: when the current run started, and the seconds since. */
  startedAt: string | null;
  elapsedSeconds: number | null;
  /** The run's wall-clock limit. */
  limitSeconds: number;
  /** Model runs: the test image being predicted (1-based) of how many, and its windows done of all (every view and TTA pass). */
  model?: { image: number; images: number; windowsDone: number; windowsTotal: number | null } | null;
}

/** Server-sent event payloads on /api/submissions/:id/events and the leaderboard stream. */
export type SubmissionEventDto =
  | { type: 'status'; submission: SubmissionDto }
  | { type: 'progress'; progress: SubmissionProgressDto }
  /**
   * A kernel's log line: `at` is where it starts in the log of its run (`run`, `attempt`), in bytes
   * of UTF-8 text; with `?log=all` a stream first sends each readable run's log so far, then its new
   * lines (a reconnecting client can skip lines at offsets it has printed).
   */
  | { type: 'log'; line: string; run: KernelRunPhase; attempt: number; at: number };

/** `GET /api/submissions/:id/runs`: each run of a kernel, oldest first, with what the viewer may read of it. */
export interface KernelRunDto {
  phase: KernelRunPhase;
  attempt: number;
  /** succeeded, timeout, oom, exception, no-submission-file, cancelled, lost, error; null while it runs. */
  outcome: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Whether the viewer may read its log (`GET …/log?run=`) and files: the team sees its public runs; hidden runs only where the competition shows their logs. */
  logVisible: boolean;
  /** Files the run left in /kaggle/working (public runs; a hidden run: its submission.csv), `GET /api/submissions/:id/output?run=<phase>&name=<name>`; empty when none or not visible. */
  files: { name: string; size: number }[];
}

export interface LeaderboardEntryDto {
  rank: number;
  teamId: string;
  teamName: string;
  score: number;
  /** Score as displayed, fixed precision. */
  display: string;
  submissionId: string;
  submittedAt: string;
  entries: number;
  /** 95 % bootstrap interval of the ranked submission on this split, when known. */
  interval: [number, number] | null;
  /** True when the score equals the entry above (tie broken by the earlier submission). */
  tied: boolean;
}

export interface LeaderboardDto {
  split: Split;
  revealed: boolean;
  precision: number;
  entries: LeaderboardEntryDto[];
  /** The board as it stood at this time (the last days' freeze, for participants); null: live. */
  frozenSince: string | null;
  /** Other teams under pseudonyms (the viewer's own team keeps its name). */
  anonymous: boolean;
}

export type Medal = 'gold' | 'silver' | 'bronze' | null;

export interface ShakeupTeamDto {
  teamId: string;
  teamName: string;
  publicRank: number;
  privateRank: number;
  /** publicRank − privateRank: positive means the team moved up. */
  change: number;
  publicScore: number;
  privateScore: number;
  cvScore: number | null;
  publicMedal: Medal;
  privateMedal: Medal;
}

export interface ShakeupDto {
  teams: ShakeupTeamDto[];
  spearman: number | null;
  kendall: number | null;
  meanAbsRankChange: number;
  medalCutoffs: { gold: number; silver: number; bronze: number };
  entered: { teamId: string; teamName: string; medal: Exclude<Medal, null> }[];
  left: { teamId: string; teamName: string; medal: Exclude<Medal, null> }[];
}

/** Queue names and job payloads (BullMQ). */
export const QUEUES = {
  scoring: 'scoring',
  kernels: 'kernels',
  kernelsGpu: 'kernels-gpu',
  models: 'models',
  maintenance: 'maintenance',
} as const;

export interface ScoreJobData {
  submissionId: string;
  /** Rescore run this job belongs to, if any. */
  rescoreId?: string;
}

export interface KernelJobData {
  submissionId: string;
}

/** A model submission's run over the test images (job id: the submission id). */
export interface ModelJobData {
  submissionId: string;
}

export interface RevealJobData {
  competitionId: string;
}

/* ---- Added by the platform core (API) ---- */

/** Every `error.code` the API returns, with the HTTP status it comes with. */
export type ApiErrorCode =
  | 'bad_request' // 400: malformed input; details lists the problems
  | 'unauthenticated' // 401
  | 'invalid_credentials' // 401
  | 'csrf_failed' // 403: cookie-authenticated change without the CSRF header
  | 'forbidden' // 403
  | 'not_found' // 404 (also for things that exist but the viewer may not see)
  | 'conflict' // 409
  | 'email_taken' // 409
  | 'competition_not_open' // 409: before opensAt
  | 'competition_not_ready' // 409: data still being built
  | 'submission_kind_not_allowed' // 409
  | 'selection_limit' // 409: more final selections than the competition allows
  | 'not_selectable' // 409: failed, late or unscored submissions cannot be selected
  | 'payload_too_large' // 413
  | 'unprocessable' // 422: well-formed but unusable (an image that cannot be decoded, a bundle the checker could not finish)
  | 'invalid_model' // 422: an ONNX model the platform will not run (details.problems: [{ code, message }])
  | 'quota_exceeded' // 429: daily submissions used up (details.resetsAt)
  | 'too_many_attempts' // 429: too many failed sign-ins (or sign-ups) from this address or for this account; details.retryAfterSeconds
  | 'internal' // 500
  | 'unavailable' // 503
  | 'kernels_disabled'; // 503: this server runs no kernels (HOLDOUT_KERNELS=off); file submissions still work

/** Cookie and header names of the session and its CSRF defence (double-submit token). */
export const AUTH = {
  sessionCookie: 'holdout_session',
  /** Readable by scripts; send its value back in the `x-csrf-token` header on POST/PUT/PATCH/DELETE. */
  csrfCookie: 'holdout_csrf',
  csrfHeader: 'x-csrf-token',
} as const;

export interface RegisterRequest {
  email: string;
  password: string;
  displayName: string;
}
export interface LoginRequest {
  email: string;
  password: string;
}
/** Response of register and login (the session cookie is set as well). */
export interface SessionDto {
  user: MeDto;
  /** Same value as the `holdout_csrf` cookie. */
  csrfToken: string;
}
export interface CreateTokenRequest {
  name: string;
}
export interface CreateCourseRequest {
  name: string;
}
export interface JoinCourseRequest {
  code: string;
}
export interface CreateCompetitionRequest {
  /** A bundled competition under `competitions/<bundle>/`. */
  bundle: string;
  /** Slug of the new competition; defaults to the bundle's name. */
  slug?: string;
  /** Its title; defaults to the bundle's (two copies of one bundle can then be told apart). */
  title?: string;
  courseId: string;
  visibility?: 'course' | 'public';
  /** Overrides of the bundle's timeline (ISO 8601). */
  opensAt?: string;
  closesAt?: string;
}
/** `PATCH /api/competitions/:slug` (instructor/admin): ISO 8601 times; opensAt < teamMergeDeadline ≤ closesAt. */
export interface UpdateCompetitionRequest {
  opensAt?: string;
  /** null removes the merge deadline. */
  teamMergeDeadline?: string | null;
  closesAt?: string;
  title?: string;
  limits?: { dailySubmissions?: number; finalSelections?: number; maxTeamSize?: number };
  feedback?: { perImagePublic?: boolean };
  leaderboard?: { anonymous?: boolean; freezeDays?: number };
  /** Which kinds are on: any non-empty subset of the competition's `availableKinds`. */
  submissionKinds?: SubmissionKind[];
  /** Competitions that take kernels only. */
  kernel?: { timeLimitSeconds?: number; memoryBytes?: number; cpus?: number; gpus?: number; processes?: number; showHiddenDataLogs?: boolean; publicRunsPerDay?: number };
  /** Markdown; the rules page keeps its generated quota section. */
  pages?: { overview?: string; data?: string; evaluation?: string; rules?: string };
}
/** A bundled competition an instructor may create (`GET /api/bundles`); `slug` is the `bundle` of CreateCompetitionRequest. */
export interface BundleDto {
  slug: string;
  title: string;
  /** Markdown, from competition.yaml. */
  description: string;
  metric: MetricName;
  submissionKinds: SubmissionKind[];
}
export interface SelectionRequest {
  selected: boolean;
}
export interface RescoreRequest {
  /** Optional note recorded with the audit event. */
  reason?: string;
}
export interface RescoreDto {
  rescoreId: string;
  solutionVersion: number;
  submissions: number;
}
/** GET /api/competitions/:slug/rescores/:rescoreId (course staff): how far a rescore is, and what it changed. */
export interface RescoreStatusDto extends RescoreDto {
  /** Submissions scored again so far (rejections included). */
  done: number;
  finished: boolean;
  /** Whose public or private score, or rejection, differs from before the rescore. */
  changed: number;
  /** Rejected by the new solution (were they scored before, they left the boards). */
  rejected: number;
  /** Once finished: teams whose public-leaderboard rank differs from before the rescore (entering or leaving counts). */
  teamsMoved: number | null;
}
/** Payload on /api/competitions/:slug/leaderboard/events: the board changed, fetch it again. */
export interface LeaderboardEventDto {
  type: 'changed';
  split: Split;
}
/** A course member, as `GET /api/courses/:id/members` lists them to the course staff. */
export interface CourseMemberDto {
  userId: string;
  displayName: string;
  email: string;
  role: Role;
  joinedAt: string;
}
export interface HealthDto {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'ok' | string>;
}

/**
 * `GET /api/competitions/:slug/team`: the viewer's team (a team of one until it merges). Team
 * members only: other teams' members and codes are never in it.
 */
export interface TeamDto {
  id: string;
  name: string;
  members: { displayName: string; you: boolean }[];
  maxTeamSize: number;
  /** When merging and leaving close: the team merge deadline, else the close. */
  mergeClosesAt: string;
  /** Charged submissions of the team (they move with it in a merge). */
  submissions: number;
  /** The path of the invite link (`/competitions/<slug>/team?code=…`), once asked for (POST …/team/invite-link). */
  invitePath: string | null;
  /** Invites from other teams to merge into them, waiting for this team's answer. */
  invitesReceived: TeamInviteDto[];
  /** This team's invites waiting for the other team. */
  invitesSent: TeamInviteDto[];
  /** Why this member may not leave now; null when they may (`POST …/team/leave`). */
  leaveProblem: string | null;
  /** Disqualified by an instructor (off the leaderboards), and why. */
  disqualified: { reason: string; at: string } | null;
}

/** `GET /api/competitions/:slug/teams` (course staff): every team, with its members' contacts. */
export interface TeamSummaryDto {
  id: string;
  name: string;
  members: { displayName: string; email: string }[];
  /** Charged submissions. */
  submissions: number;
  disqualified: { reason: string; at: string } | null;
}

/** `GET /api/competitions/:slug/grades` (course staff; `?format=csv` for the CSV): one row per student of the course. */
export interface GradeRowDto {
  student: string;
  email: string;
  team: string | null;
  publicScore: number | null;
  publicRank: number | null;
  /** Null until the private leaderboard is revealed. */
  privateScore: number | null;
  privateRank: number | null;
  /** The team's final selections (ids); empty: its best by public score counted. */
  selected: string[];
  /** Whether the team submitted after the close (scored, never ranked). */
  late: boolean;
  disqualified: boolean;
  /** The mapped grade (0–100) when a mapping was asked for (`?grade=linear&low=&high=` on the score, or `?grade=rank`). */
  grade: number | null;
}

export interface TeamInviteDto {
  id: string;
  /** The other team. */
  team: { name: string; members: number };
  createdAt: string;
  /** Why accepting would fail now (size, submissions, deadline); null when it would work. */
  problem: string | null;
}

/** `GET /api/competitions/:slug/team/invite-link/:code`: what merging through a link would do, before doing it. */
export interface TeamLinkPreviewDto {
  team: { name: string; members: number };
  /** Why merging your team into it would fail now; null when it would work. */
  problem: string | null;
}

/** `GET /api/courses/:id/audit`: what instructors and admins did in a course, newest first. Instructors of the course only. */
export interface AuditEventDto {
  id: string;
  at: string;
  /** Who did it (null: the platform). */
  actor: { displayName: string; email: string } | null;
  /** e.g. competition.close, competition.settings, competition.rescore, team.merge, team.disqualify, course.role. */
  action: string;
  /** The competition's slug, for events of one competition. */
  competition: string | null;
  subject: { type: string; id: string } | null;
  /** What changed (before/after values, reasons, counts). */
  data: Record<string, unknown>;
}

/** One notification of the viewer (`GET /api/notifications`): a kernel that ended, a reveal, a team invitation. */
export interface NotificationDto {
  id: string;
  kind: 'kernel-finished' | 'kernel-failed' | 'model-finished' | 'model-failed' | 'reveal' | 'team-invite';
  title: string;
  /** A path in the web app. */
  link: string;
  createdAt: string;
  read: boolean;
}

/** `GET /api/notifications`; its live form, `GET /api/notifications/events`, sends `{type: 'notifications', unread}` on each new one. */
export interface NotificationsDto {
  unread: number;
  items: NotificationDto[];
  /** Whether they are also mailed (`PUT /api/me/preferences` `{emailNotifications}`). */
  emailNotifications: boolean;
}
