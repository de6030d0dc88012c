// A stand-in for the Holdout API that answers the routes the web's pages read, with
// contract-shaped data (libs/contracts). It isolates the web server in the benchmark (the API's own
// latency is the API's benchmark) and lets the pages render before the real API is up.
//   node bench/web/stub-api.mjs [port] [teams]
import { createServer } from 'node:http';

export function makeFixtures(teams = 500) {
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  const me = {
    id: 'u-1', email: 'ada@example.test', displayName: 'Ada', isAdmin: false,
    courses: [{ id: 'course-1', name: 'Medical image segmentation 2026', role: 'instructor', joinCode: 'SEG-2026' }],
  };
  const summary = {
    slug: 'bench', title: 'Glomeruli segmentation (benchmark)', courseId: 'course-1', metric: 'dice',
    submissionKinds: ['file', 'kernel', 'model'], opensAt: iso(now - 30 * 864e5), teamMergeDeadline: iso(now - 5 * 864e5),
    closesAt: iso(now - 864e5), state: 'closed', revealed: true,
  };
  const competition = {
    ...summary,
    pages: {
      overview: '# Find the glomeruli\n\nSegment **glomeruli** in kidney tissue tiles.\n\n| split | images |\n|---|---|\n| public | 40 |\n| private | 60 |\n',
      data: 'Train images with masks in `train.csv`.', evaluation: 'Mean Dice over images.', rules: 'One account per person.',
    },
    limits: { dailySubmissions: 5, finalSelections: 2 }, rleOrder: 'column',
    viewer: { role: 'student', teamId: 'team-42', submissionsToday: 1, quotaResetsAt: iso(now + 6 * 36e5) },
  };
  // Deterministic pseudo-random scores.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const rows = Array.from({ length: teams }, (_, i) => {
    const pub = 0.92 - i * 0.0012 + (i % 7 === 3 ? 0 : rnd() * 0.0004);
    return { teamId: `team-${i + 1}`, teamName: `Team ${i + 1}`, pub, priv: pub + (rnd() - 0.5) * 0.02, cv: i % 3 === 0 ? pub + (rnd() - 0.3) * 0.03 : null };
  });
  rows.sort((a, b) => b.pub - a.pub);
  const board = (split) => {
    const sorted = [...rows].sort((a, b) => (split === 'public' ? b.pub - a.pub : b.priv - a.priv));
    return {
      split, revealed: true, precision: 4,
      entries: sorted.map((r, i) => {
        const score = split === 'public' ? r.pub : r.priv;
        const prev = sorted[i - 1];
        const tied = !!prev && (split === 'public' ? prev.pub : prev.priv).toFixed(4) === score.toFixed(4);
        return {
          rank: i + 1, teamId: r.teamId, teamName: r.teamName, score, display: score.toFixed(4),
          submissionId: `s-${r.teamId}`, submittedAt: iso(now - i * 6e4), entries: 1 + (i % 9),
          interval: [score - 0.01 - (i % 5) * 0.001, Math.min(1, score + 0.01)], tied,
        };
      }),
    };
  };
  const pubRank = new Map(board('public').entries.map((e) => [e.teamId, e.rank]));
  const privRank = new Map(board('private').entries.map((e) => [e.teamId, e.rank]));
  const medal = (r) => (r <= 10 ? 'gold' : r <= 25 ? 'silver' : r <= 50 ? 'bronze' : null);
  const shakeup = {
    teams: rows.map((r) => ({
      teamId: r.teamId, teamName: r.teamName, publicRank: pubRank.get(r.teamId), privateRank: privRank.get(r.teamId),
      change: pubRank.get(r.teamId) - privRank.get(r.teamId), publicScore: r.pub, privateScore: r.priv, cvScore: r.cv,
      publicMedal: medal(pubRank.get(r.teamId)), privateMedal: medal(privRank.get(r.teamId)),
    })),
    spearman: 0.97, kendall: 0.88, meanAbsRankChange: 6.4, medalCutoffs: { gold: 10, silver: 25, bronze: 50 },
    entered: [{ teamId: 'team-51', teamName: 'Team 51', medal: 'bronze' }], left: [{ teamId: 'team-49', teamName: 'Team 49', medal: 'bronze' }],
  };
  const submission = {
    id: 'sub-1', competitionSlug: 'bench', teamId: 'team-42', teamName: 'Team 42', kind: 'file', status: 'scored',
    description: 'U-Net, 5 folds', cvScore: 0.86, fileName: 'submission.csv', publicScore: 0.8712, privateScore: 0.8655,
    late: false, selected: true, createdAt: iso(now - 2 * 864e5), scoredAt: iso(now - 2 * 864e5 + 3e4), error: null,
  };
  const files = [
    { name: 'train.csv', size: 48213, etag: 'a' }, { name: 'sample_submission.csv', size: 1320, etag: 'b' },
    { name: 'starter.py', size: 2048, etag: 'c' }, { name: 'train/0001.png', size: 734003, etag: 'd' },
  ];
  return { me, summary, competition, board, shakeup, submission, files };
}

export function startStub(port = 0, teams = 500) {
  const f = makeFixtures(teams);
  const boards = { public: JSON.stringify(f.board('public')), private: JSON.stringify(f.board('private')) };
  const routes = [
    [/^\/api\/me$/, () => f.me],
    [/^\/api\/competitions$/, () => [f.summary]],
    [/^\/api\/competitions\/[^/]+$/, () => f.competition],
    [/^\/api\/competitions\/[^/]+\/data$/, () => f.files],
    [/^\/api\/competitions\/[^/]+\/leaderboard$/, (u) => boards[u.searchParams.get('split') === 'private' ? 'private' : 'public']],
    [/^\/api\/competitions\/[^/]+\/shakeup$/, () => f.shakeup],
    [/^\/api\/competitions\/[^/]+\/submissions$/, () => [f.submission]],
    [/^\/api\/submissions\/[^/]+$/, () => ({ ...f.submission, perImagePublic: { img_03: 0.62, img_01: 0.91, img_02: 0.88 } })],
  ];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://stub');
    if (/^\/api\/submissions\/[^/]+\/log$/.test(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('scoring 40 public images\nscore 0.8712\n');
    }
    for (const [re, handler] of routes) {
      if (re.test(url.pathname)) {
        const body = handler(url);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(typeof body === 'string' ? body : JSON.stringify(body));
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'Not found' }, requestId: 'stub' }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startStub(Number(process.argv[2] ?? 4010), Number(process.argv[3] ?? 500));
  console.log(JSON.stringify({ stub: `http://127.0.0.1:${server.address().port}` }));
}
