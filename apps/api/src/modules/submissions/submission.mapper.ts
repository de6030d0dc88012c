import type { SubmissionDetailDto, SubmissionDto } from '@holdout/contracts';
import type { Submission } from '@holdout/db';
import { isCharged } from '@holdout/rules';

/**
 * The only way a submission leaves the server. `revealed` decides whether private numbers are
 * included; before the reveal they are null whatever the row holds.
 */
export function toSubmissionDto(s: Submission, ctx: { slug: string; teamName: string; revealed: boolean }): SubmissionDto {
  return {
    id: s.id,
    competitionSlug: ctx.slug,
    teamId: s.teamId,
    teamName: ctx.teamName,
    kind: s.kind,
    status: s.status,
    description: s.description,
    cvScore: s.cvScore,
    fileName: s.fileName,
    publicScore: s.status === 'scored' ? s.publicScore : null,
    privateScore: ctx.revealed && s.status === 'scored' ? s.privateScore : null,
    late: s.late,
    selected: s.selected,
    createdAt: s.createdAt.toISOString(),
    scoredAt: s.scoredAt?.toISOString() ?? null,
    // The lifecycle writes every failure with a code; a row without one can only be ours.
    error: s.status === 'failed' && s.errorClass ? { class: s.errorClass, code: s.errorCode ?? 'infrastructure', message: s.errorMessage ?? '', row: s.errorRow } : null,
    charged: isCharged({ status: s.status, errorClass: s.errorClass, runPhase: s.runPhase, runOnly: s.runOnly }),
    runOnly: s.runOnly,
    run: s.runPhase,
    disqualified: s.disqualifiedAt ? { reason: s.disqualifiedReason ?? '', at: s.disqualifiedAt.toISOString() } : null,
  };
}

/** `perImage`: whether this viewer may see per-image public scores (`perImageFeedbackVisible`). */
export function toSubmissionDetailDto(s: Submission, ctx: { slug: string; teamName: string; revealed: boolean; perImage: boolean }): SubmissionDetailDto {
  return { ...toSubmissionDto(s, ctx), perImagePublic: s.status === 'scored' && ctx.perImage ? s.perImagePublic : null };
}
