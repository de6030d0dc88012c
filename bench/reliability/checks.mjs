// The pass criteria of a run, judged from what the students recorded and what the database holds
// once everything has settled. Each check returns { pass, ...evidence }.
import { rankPrivateLeaderboard } from '@holdout/metrics';

/** An upload's quota check ran somewhere between sending and the answer; refunds land when a rejection (or our failure) is recorded. */
const REFUND_COMMIT_SLACK_MS = 1000;
/** A stream that was still followed this long after its submission finished should have told the student. */
const FINAL_GRACE_MS = 5000;
/** Failures not charged to the daily quota (libs/rules charging.ts: the scorer refused it, or ours). */
const REFUNDED_CLASSES = ['validation', 'scoring-error', 'infrastructure'];

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function judge({ ds, competitionId, students, daily, finalSelections, expectedScore, settleMs, apiBoard }) {
  const rows = await ds.query(
    `SELECT s.id, s.kind, s.team_id, s.user_id, s.status, s.late, s.public_score, s.private_score, s.error_class, s.error_code, s.error_message,
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
  // What each upload deserves: a file its runs' scores (a broken one: refused by the scorer; a
  // broken kernel's file refused after its public run), a model what the bench computed for it
  // (models.mjs `expectations`), or its own failure.
  const deserved = (u) => (u.kind === 'model' ? u.expect : u.valid ? { publicScore: expectedScore(u.pub), privateScore: expectedScore(u.priv) } : { fails: { errorClass: u.kind === 'kernel' ? ['scoring-error', 'validation'] : ['validation'] } });
  const wrong = [];
  for (const u of accepted) {
    const r = byId.get(u.id);
    if (!r) continue;
    const want = deserved(u);
    if (r.kind !== u.kind) wrong.push({ id: u.id, why: `kind ${r.kind}, sent as ${u.kind}` });
    if (!want?.fails && !(Number.isFinite(want?.publicScore) && Number.isFinite(want?.privateScore))) wrong.push({ id: u.id, kind: u.kind, model: u.model, why: 'the bench knows no outcome for it' });
    else if (want.fails) {
      // A failure of ours is allowed (counted as failedOurSide); otherwise it fails as it deserves.
      if (r.status !== 'failed') wrong.push({ id: u.id, kind: u.kind, model: u.model, why: `broken ${u.kind} ${r.status}` });
      else if (r.error_class !== 'infrastructure' && (![want.fails.errorClass].flat().includes(r.error_class) || (want.fails.errorCode && r.error_code !== want.fails.errorCode))) wrong.push({ id: u.id, kind: u.kind, model: u.model, why: `failed as ${r.error_class} ${r.error_code}` });
    } else {
      if (r.status === 'scored' && (Math.abs(r.public_score - want.publicScore) > 1e-9 || Math.abs(r.private_score - want.privateScore) > 1e-9)) wrong.push({ id: u.id, kind: u.kind, model: u.model, why: 'score' });
      if (r.status === 'failed' && r.error_class !== 'infrastructure') wrong.push({ id: u.id, kind: u.kind, model: u.model, why: `valid ${u.kind} failed: ${r.error_class} ${r.error_code}` });
    }
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
  const refundAt = (r) => (r.status === 'failed' && REFUNDED_CLASSES.includes(r.error_class) ? (r.scored_at ?? r.updated_at).getTime() : r.status === 'cancelled' ? r.updated_at.getTime() : Infinity);
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

  // 6. Every student following a submission's stream is told its outcome: a stream (reopened
  //    when it drops) that was still followed FINAL_GRACE_MS after the row finished and never
  //    said so missed it. Those whose student stopped waiting first are counted apart.
  const streamed = accepted.filter((u) => u.stream);
  const missed = [];
  let gaveUpFirst = 0;
  for (const u of streamed.filter((x) => !x.seenFinalAt)) {
    const r = byId.get(u.id);
    const at = r ? finishedAt(r) : Infinity;
    if (at + FINAL_GRACE_MS <= u.followedUntil) missed.push({ id: u.id, kind: u.kind, status: r.status, finishedAt: at, followedForMsAfter: u.followedUntil - at, opens: u.stream.opens, drops: u.stream.drops, refused: u.stream.refused });
    else gaveUpFirst++;
  }
  const lag = streamed.filter((u) => u.seenFinalAt && byId.has(u.id)).map((u) => u.seenFinalAt - finishedAt(byId.get(u.id))).sort((a, b) => a - b);
  checks.streamsToldFinal = {
    pass: missed.length === 0,
    followed: streamed.length,
    told: streamed.filter((u) => u.seenFinalAt).length,
    missedFinal: missed.length,
    missedByKind: countBy(missed, (m) => m.kind),
    missed: missed.slice(0, 8).map((m) => ({ ...m, finishedAt: new Date(m.finishedAt).toISOString() })),
    gaveUpFirst,
    reopened: streamed.filter((u) => u.stream.opens > 1).length,
    drops: streamed.reduce((n, u) => n + u.stream.drops, 0),
    refusedOpens: streamed.reduce((n, u) => n + u.stream.refused, 0),
    toldAfterFinishMs: { n: lag.length, p50: percentile(lag, 50), p99: percentile(lag, 99), max: lag.at(-1) ?? null },
  };

  // Upload to score, per kind: files (or kernels) and models apart.
  const times = (kinds) => {
    const toScore = rows.filter((r) => kinds.includes(r.kind) && r.status === 'scored').map((r) => r.scored_at - r.created_at).sort((a, b) => a - b);
    const seenToScore = accepted.filter((u) => kinds.includes(u.kind) && u.seenFinalAt).map((u) => u.seenFinalAt - u.sent).sort((a, b) => a - b);
    return {
      uploadToScoreMs: { n: toScore.length, p50: percentile(toScore, 50), p99: percentile(toScore, 99), max: toScore.at(-1) ?? null },
      uploadToScoreSeenMs: { n: seenToScore.length, p50: percentile(seenToScore, 50), p99: percentile(seenToScore, 99), max: seenToScore.at(-1) ?? null },
    };
  };
  return {
    checks,
    pass: Object.values(checks).every((c) => c.pass),
    rows,
    closesAt,
    ...times(['file', 'kernel']),
    models: times(['model']),
  };
}

function countBy(xs, f) {
  const m = {};
  for (const x of xs) m[f(x)] = (m[f(x)] ?? 0) + 1;
  return m;
}
