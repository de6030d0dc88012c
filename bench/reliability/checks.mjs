// The pass criteria of a run, judged from what the students recorded and what the database holds
// once everything has settled. Each check returns { pass, ...evidence }.
import { rankPrivateLeaderboard } from '@holdout/metrics';

/** An upload's quota check ran somewhere between sending and the answer; refunds land when a rejection (or our failure) is recorded. */
const REFUND_COMMIT_SLACK_MS = 1000;

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function judge({ ds, competitionId, students, daily, finalSelections, expectedScore, settleMs, apiBoard }) {
  const rows = await ds.query(
    `SELECT s.id, s.team_id, s.user_id, s.status, s.late, s.public_score, s.private_score, s.error_class, s.error_code, s.error_message,
            s.attempts, s.selected, s.created_at, s.started_at, s.scored_at, s.updated_at,
            (SELECT count(*) FROM score_records r WHERE r.submission_id = s.id AND r.run = 'initial')::int AS records
       FROM submissions s WHERE s.competition_id = $1`,
    [competitionId],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const [comp] = await ds.query('SELECT closes_at, revealed_at FROM competitions WHERE id = $1', [competitionId]);
  const closesAt = comp.closes_at.getTime();
  const uploads = students.flatMap((s) => s.uploads.map((u) => ({ ...u, student: s })));
  const accepted = uploads.filter((u) => u.status === 202);
  const checks = {};

  // 1. No request lost: every 202 is a row of its student's team; rows nobody got a 202 for are reported.
  const missing = accepted.filter((u) => !byId.has(u.id) || byId.get(u.id).user_id !== u.student.userId).map((u) => u.id);
  const acked = new Set(accepted.map((u) => u.id));
  const unacknowledged = rows.filter((r) => !acked.has(r.id)).map((r) => ({ id: r.id, status: r.status }));
  checks.noLostUploads = { pass: missing.length === 0, accepted: accepted.length, missing, unacknowledged: unacknowledged.length, unacknowledgedIds: unacknowledged.slice(0, 5) };

  // 2. Every accepted submission ends scored or failed with a reason, exactly once, and as its file deserves.
  const unfinished = rows.filter((r) => !['scored', 'failed'].includes(r.status));
  const noReason = rows.filter((r) => r.status === 'failed' && (!r.error_code || !r.error_message));
  const twice = rows.filter((r) => r.records > 1);
  const noRecord = rows.filter((r) => (r.status === 'scored' || (r.status === 'failed' && r.error_class === 'validation')) && r.records !== 1);
  const wrong = [];
  for (const u of accepted) {
    const r = byId.get(u.id);
    if (!r) continue;
    if (u.valid && r.status === 'scored' && (Math.abs(r.public_score - expectedScore(u.pub)) > 1e-9 || Math.abs(r.private_score - expectedScore(u.priv)) > 1e-9)) wrong.push({ id: u.id, why: 'score' });
    if (u.valid && r.status === 'failed' && r.error_class !== 'infrastructure') wrong.push({ id: u.id, why: `valid file failed: ${r.error_code}` });
    if (!u.valid && r.status !== 'failed') wrong.push({ id: u.id, why: `broken file ${r.status}` });
  }
  const infra = rows.filter((r) => r.status === 'failed' && r.error_class === 'infrastructure');
  checks.scoredOrFailedOnce = {
    pass: unfinished.length === 0 && noReason.length === 0 && twice.length === 0 && noRecord.length === 0 && wrong.length === 0,
    scored: rows.filter((r) => r.status === 'scored').length,
    failedValidation: rows.filter((r) => r.status === 'failed' && r.error_class === 'validation').length,
    failedOurSide: infra.length,
    unfinished: unfinished.map((r) => ({ id: r.id, status: r.status })).slice(0, 10),
    unfinishedCount: unfinished.length,
    withoutReason: noReason.length,
    scoredTwice: twice.map((r) => r.id),
    withoutScoreRecord: noRecord.map((r) => r.id),
    wrongOutcome: wrong.slice(0, 10),
    wrongOutcomeCount: wrong.length,
  };

  // 3. Quotas exact. Each student is a team of one uploading one file at a time, so each
  //    acceptance and refusal can be replayed: at its moment, count the team's earlier
  //    submissions that still counted (not refunded by a rejection or a failure of ours).
  const refundAt = (r) => (r.status === 'failed' && (r.error_class === 'validation' || r.error_class === 'infrastructure') ? (r.scored_at ?? r.updated_at).getTime() : r.status === 'cancelled' ? r.updated_at.getTime() : Infinity);
  const overQuota = [];
  const wrongRefusals = [];
  const wrongAcceptances = [];
  let refusals = 0;
  for (const s of students) {
    const day = (t) => new Date(t).toISOString().slice(0, 10);
    const mine = s.uploads.filter((u) => u.status === 202 && byId.has(u.id)).map((u) => ({ u, r: byId.get(u.id) }));
    for (const u of s.uploads) {
      const earlier = mine.filter((m) => m.u.recv <= u.sent && day(m.u.sent) === day(u.sent));
      if (u.status === 429 && u.code === 'quota_exceeded') {
        refusals++;
        // Refused: even counting only refunds recorded well before it was sent, the team was at its limit.
        const counted = earlier.filter((m) => refundAt(m.r) > u.sent - REFUND_COMMIT_SLACK_MS).length;
        if (counted < daily) wrongRefusals.push({ student: s.i, at: new Date(u.sent).toISOString(), counted });
      } else if (u.status === 202) {
        // Accepted: even counting every refund recorded until its answer, the team was under its limit.
        const counted = earlier.filter((m) => refundAt(m.r) > u.recv).length;
        if (counted >= daily) wrongAcceptances.push({ student: s.i, id: u.id, counted });
      }
    }
    const charged = new Map();
    for (const { r } of mine) if (refundAt(r) === Infinity) charged.set(day(r.created_at), (charged.get(day(r.created_at)) ?? 0) + 1);
    for (const [d, n] of charged) if (n > daily) overQuota.push({ student: s.i, day: d, charged: n });
  }
  checks.quotasExact = { pass: overQuota.length === 0 && wrongRefusals.length === 0 && wrongAcceptances.length === 0, daily, refusals, overQuota: overQuota.slice(0, 5), wrongRefusals: wrongRefusals.slice(0, 5), wrongRefusalCount: wrongRefusals.length, wrongAcceptances: wrongAcceptances.slice(0, 5), wrongAcceptanceCount: wrongAcceptances.length };

  // 4. After the close: uploads are accepted as late (the platform's rule: scored, shown to the
  //    team, never ranked), never as on time; before it, never late.
  const lateWrong = accepted.filter((u) => (u.sent >= closesAt && u.late !== true) || (u.recv < closesAt && u.late !== false)).map((u) => ({ id: u.id, sent: u.sent - closesAt, late: u.late }));
  const lateDb = rows.filter((r) => r.late !== (r.created_at.getTime() >= closesAt - 50) && Math.abs(r.created_at.getTime() - closesAt) > 1000);
  checks.lateAfterClose = { pass: lateWrong.length === 0 && lateDb.length === 0, afterClose: accepted.filter((u) => u.sent >= closesAt).length, markedLate: rows.filter((r) => r.late).length, wrong: lateWrong.slice(0, 5), wrongInDb: lateDb.length };

  // 5. The reveal: after every on-time submission finished, and the private board first served
  //    to anyone is the final one (the same entries and scores), with no late submission on it.
  const finishedAt = (r) => (r.status === 'scored' || r.status === 'failed' ? (r.scored_at ?? r.updated_at).getTime() : Infinity);
  const onTime = rows.filter((r) => !r.late);
  const lastOnTime = Math.max(0, ...onTime.map(finishedAt));
  const revealedAt = comp.revealed_at?.getTime() ?? null;
  // The final board, ranked here from the settled rows with the platform's ranking function.
  const rankable = rows
    .filter((r) => r.status === 'scored' && !r.late)
    .map((r) => ({ submissionId: r.id, teamId: r.team_id, privateScore: r.private_score, publicScore: r.public_score, submittedAt: r.created_at, selected: r.selected, late: false }));
  const finalBoard = { entries: rankPrivateLeaderboard({ submissions: rankable, finalSelections }).rows.map((e) => ({ teamId: e.teamId, submissionId: e.submissionId, score: e.score })) };
  const seen = students.map((s) => s.firstRevealed).filter(Boolean).sort((a, b) => a.at - b.at);
  const first = seen[0] ?? null;
  const key = (es) => JSON.stringify(es.map((e) => [e.teamId, e.submissionId, e.score]));
  const lateOnBoard = (first?.entries ?? []).filter((e) => byId.get(e.submissionId)?.late);
  const differing = seen.filter((b) => key(b.entries) !== key(finalBoard.entries)).length;
  checks.revealExact = {
    pass: revealedAt !== null && lastOnTime <= revealedAt && revealedAt >= closesAt + settleMs - 50 && first !== null && differing === 0 && lateOnBoard.length === 0 && apiBoard !== null && key(apiBoard.entries) === key(finalBoard.entries),
    closesAt: new Date(closesAt).toISOString(),
    revealedAt: revealedAt && new Date(revealedAt).toISOString(),
    revealAfterCloseMs: revealedAt && revealedAt - closesAt,
    lastOnTimeFinishedAfterCloseMs: lastOnTime - closesAt,
    onTimeFinishedAfterReveal: revealedAt ? onTime.filter((r) => finishedAt(r) > revealedAt).length : null,
    boardEntries: finalBoard.entries.length,
    boardsSeen: seen.length,
    boardsDifferingFromFinal: differing,
    apiBoardIsFinal: apiBoard !== null && key(apiBoard.entries) === key(finalBoard.entries),
    lateOnBoard: lateOnBoard.length,
  };

  const toScore = rows.filter((r) => r.status === 'scored').map((r) => r.scored_at - r.created_at).sort((a, b) => a - b);
  const seenToScore = accepted.filter((u) => u.seenFinalAt).map((u) => u.seenFinalAt - u.sent).sort((a, b) => a - b);
  return {
    checks,
    pass: Object.values(checks).every((c) => c.pass),
    rows,
    closesAt,
    uploadToScoreMs: { n: toScore.length, p50: percentile(toScore, 50), p99: percentile(toScore, 99), max: toScore.at(-1) ?? null },
    uploadToScoreSeenMs: { n: seenToScore.length, p50: percentile(seenToScore, 50), p99: percentile(seenToScore, 99), max: seenToScore.at(-1) ?? null },
  };
}

