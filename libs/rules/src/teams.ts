/**
 * Team rules, written down once (and on every competition's rules page). Pure.
 *
 * Every submission belongs to a team; a student starts as a team of one. Two teams may merge
 * while merging is open — before the team merge deadline (or, without one, the close) — when the
 * merged team has at most `maxTeamSize` members and, Kaggle's rule, at most as many charged
 * submissions as one team could have made so far: the daily limit times the days the competition
 * has run, today included. A merge keeps every submission of both teams; the merged team's final
 * selections are chosen again (none selected: its best by public score count).
 * A member may leave a team of two or more only while merging is open and before the team has
 * submitted (its submissions are the team's, and a fresh team of one would get a fresh quota).
 */

const DAY_MS = 86_400_000;

/** When merging (and leaving) closes: the merge deadline, else the close. */
export function mergeClosesAt(c: { teamMergeDeadline: Date | null; closesAt: Date }): Date {
  return c.teamMergeDeadline ?? c.closesAt;
}

/** The most charged submissions a merged team may have now: daily limit × days run (today included). */
export function mergeSubmissionAllowance(o: { now: Date; opensAt: Date; dailySubmissions: number }): number {
  const days = Math.max(1, Math.floor((o.now.getTime() - o.opensAt.getTime()) / DAY_MS) + 1);
  return o.dailySubmissions * days;
}

export interface MergeCase {
  now: Date;
  opensAt: Date;
  closesAt: Date;
  teamMergeDeadline: Date | null;
  maxTeamSize: number;
  dailySubmissions: number;
  /** Members and charged submissions of each of the two teams. */
  a: { members: number; submissions: number };
  b: { members: number; submissions: number };
}

/** Why two teams may not merge now; null when they may. */
export function mergeProblem(o: MergeCase): string | null {
  const closes = mergeClosesAt(o);
  if (o.now < o.opensAt) return 'teams merge once the competition is open';
  if (o.now >= closes) return `merging closed at ${closes.toISOString()}${o.teamMergeDeadline ? ' (the team merge deadline)' : ' (the close)'}`;
  const members = o.a.members + o.b.members;
  if (members > o.maxTeamSize) return `the merged team would have ${members} members; at most ${o.maxTeamSize} are allowed`;
  const allowed = mergeSubmissionAllowance(o);
  const submissions = o.a.submissions + o.b.submissions;
  if (submissions > allowed) return `the merged team would have ${submissions} submissions; at most ${allowed} are allowed by now (${o.dailySubmissions} a day since the competition opened)`;
  return null;
}

/** Why a member may not leave the team now; null when they may. */
export function leaveProblem(o: { now: Date; closesAt: Date; teamMergeDeadline: Date | null; members: number; teamSubmissions: number }): string | null {
  if (o.members < 2) return 'you are the only member of your team';
  const closes = mergeClosesAt(o);
  if (o.now >= closes) return `teams are fixed since ${closes.toISOString()}`;
  if (o.teamSubmissions > 0) return 'your team has made submissions; they stay the team\'s, so its members stay too';
  return null;
}
