// Simulated students: each signs up, joins the course and then, until the run ends, thinks and
// acts as students do in the last hour of a competition — upload a prediction file (now and then
// a broken one) or, for a few, a model, read the boards and their submissions, and follow each
// upload's event stream until it is scored. Every one holds the leaderboard's event stream open; "watchers" re-read the
// board when it says it changed, as the web page does. Everything is recorded for the checks.
import { request as httpRequest } from 'node:http';

/** Every request made: route, HTTP status (0: no response), latency, when. */
export class Recorder {
  constructor(t0) {
    this.t0 = t0;
    this.rows = [];
  }
  add(route, status, sent, recv, err) {
    this.rows.push({ route, status, sent, recv, ms: recv - sent, err: err ? String(err.code ?? err.name ?? err.message ?? err).slice(0, 80) : undefined });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const expo = (mean) => -Math.log(1 - Math.random()) * mean;

/** A fetch that records itself; never throws (status 0 on a network error or timeout). */
async function call(rec, route, url, init = {}) {
  const sent = Date.now();
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
    const text = await r.text();
    rec.add(route, r.status, sent, Date.now());
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: r.status, body, headers: r.headers, sent, recv: Date.now() };
  } catch (err) {
    rec.add(route, 0, sent, Date.now(), err.cause ?? err);
    return { status: 0, body: null, headers: null, sent, recv: Date.now(), err };
  }
}

/**
 * A server-sent-events stream over node:http (one connection each, as a browser's EventSource).
 * `onEvent` gets each JSON payload; resolves `ended` when the server or `close()` ends it.
 */
export function openSse(rec, route, base, path, headers, onEvent) {
  const sent = Date.now();
  let req;
  let firstByte = false;
  const ended = new Promise((resolve) => {
    req = httpRequest(new URL(path, base), { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      rec.add(route, res.statusCode, sent, Date.now());
      firstByte = true;
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => resolve('refused'));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) {
            try {
              onEvent(JSON.parse(data));
            } catch {
              /* a payload that is not JSON: ignored, as a browser would */
            }
          }
        }
      });
      res.on('end', () => resolve('ended'));
      res.on('error', () => resolve('dropped'));
      res.on('close', () => resolve('dropped'));
    });
    req.on('error', (err) => {
      if (!firstByte) rec.add(route, 0, sent, Date.now(), err);
      resolve('dropped');
    });
    req.end();
  });
  return { ended, close: () => req.destroy() };
}

/** Signs a student up (password hashing makes this the costliest request) and joins the course. */
export async function enrol(rec, base, i, joinCode, tag) {
  const email = `student${i}-${tag}@bench.example.com`;
  let r;
  for (let attempt = 0; attempt < 5; attempt++) {
    r = await call(rec, 'POST /api/auth/register', `${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'benchmark password', displayName: `Student ${i}` }) });
    if (r.status === 201) break;
    await sleep(500 * (attempt + 1));
  }
  if (r.status !== 201) throw new Error(`register ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  const student = { i, email, userId: r.body.user.id, csrf: r.body.csrfToken, cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), uploads: [], firstRevealed: null, sse: { events: 0, drops: 0 } };
  const j = await call(rec, 'POST /api/courses/join', `${base}/api/courses/join`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: student.cookie, 'x-csrf-token': student.csrf }, body: JSON.stringify({ code: joinCode }) });
  if (j.status !== 200 && j.status !== 201) throw new Error(`join ${email}: ${j.status} ${JSON.stringify(j.body)}`);
  return student;
}

/**
 * One student's behaviour until `o.endAt`. `o.closesAt()` is the close as the run knows it;
 * think times shrink towards it (the rush), after it students mostly read the boards.
 */
export async function actAsStudent(student, o) {
  const { rec, base, slug, fixture } = o;
  const auth = { cookie: student.cookie };
  const writes = { ...auth, 'x-csrf-token': student.csrf };
  const watcher = Math.random() < o.watchers;
  const pendingStreams = new Map();
  const follows = [];
  let following = 0;
  let stopFollowing = false;
  const models = o.models && student.i < o.models.students ? o.models : null;
  student.modelStudent = models !== null;
  student.models = 0;

  const readBoard = async (split) => {
    const r = await call(rec, `GET /api/competitions/:slug/leaderboard?split=${split}`, `${base}/api/competitions/${slug}/leaderboard?split=${split}`, { headers: auth });
    if (split === 'private' && r.status === 200 && r.body?.revealed && !student.firstRevealed) student.firstRevealed = { at: r.recv, entries: r.body.entries.map((e) => ({ teamId: e.teamId, submissionId: e.submissionId, score: e.score, rank: e.rank })) };
    return r;
  };

  // The leaderboard's stream, held for the whole run and reopened when it drops (EventSource's `retry`).
  let boardTimer = null;
  let stopped = false;
  const holdBoardStream = async () => {
    while (!stopped && Date.now() < o.endAt) {
      const s = openSse(rec, 'SSE /api/competitions/:slug/leaderboard/events', base, `/api/competitions/${slug}/leaderboard/events`, auth, (e) => {
        student.sse.events++;
        if (!watcher || e.type !== 'changed') return;
        // As the web page: re-read the board it shows, 500 ms after the last change.
        const split = Date.now() >= o.closesAt() ? 'private' : 'public';
        if (e.split !== split) return;
        clearTimeout(boardTimer);
        boardTimer = setTimeout(() => void readBoard(split), 500);
      });
      student.boardStream = s;
      const how = await s.ended;
      if (stopped) break;
      student.sse.drops++;
      await sleep(how === 'refused' ? 3000 : 1000 + Math.random() * 2000);
    }
  };
  const boardLoop = holdBoardStream();

  // The submission's own stream until it tells the outcome: what the student sees. Reopened when
  // it drops or its opening fails, as the page's EventSource (or a reload) would, until the
  // student stops waiting; `u.stream` counts the openings, and `u.followedUntil` is when the
  // student stopped (told, or gave up).
  const followUpload = (u) => {
    u.stream = { opens: 0, drops: 0, refused: 0 };
    following++;
    const done = (async () => {
      while (!u.seenFinalAt && !stopFollowing) {
        u.stream.opens++;
        const s = openSse(rec, 'SSE /api/submissions/:id/events', base, `/api/submissions/${u.id}/events`, auth, (e) => {
          if (e.type === 'status' && (e.submission.status === 'scored' || e.submission.status === 'failed')) {
            u.seenFinalAt ??= Date.now();
            u.seenStatus = e.submission.status;
            s.close();
          }
        });
        pendingStreams.set(u, s);
        const how = await s.ended;
        pendingStreams.delete(u);
        if (u.seenFinalAt || stopFollowing) break;
        u.stream[how === 'refused' ? 'refused' : 'drops']++;
        await sleep(how === 'refused' ? 3000 : 1000 + Math.random() * 2000);
      }
      u.followedUntil = Date.now();
      following--;
    })();
    follows.push(done);
  };

  // A model student sends a model (one of models.pick()) instead of a file while it has made
  // fewer than `models.each`; before a burst (models.burstAt) it keeps one for the burst.
  const modelNext = () => {
    if (!models) return false;
    if (models.burstAt && !student.burstDone) return Date.now() >= student.burstAt ? student.models < models.each : student.models < models.each - 1 && Math.random() < 0.5;
    return student.models < models.each && Math.random() < 0.5;
  };
  if (models?.burstAt) student.burstAt = models.burstAt + Math.random() * 2000;

  const upload = async () => {
    const model = modelNext() ? models.pick() : null;
    if (models?.burstAt && Date.now() >= student.burstAt) student.burstDone = true;
    const valid = model ? !model.fails : Math.random() >= o.invalidShare;
    const pub = 1 + Math.floor(Math.random() * 12);
    const priv = 1 + Math.floor(Math.random() * 12);
    const csv = valid ? fixture.submissionCsv(pub, priv) : fixture.INVALID_SUBMISSION;
    // In a kernel competition the student uploads a small kernel that writes the file.
    const body = model ? model.bytes : o.kernels ? o.kernels.kernelSource(csv) : csv;
    const kind = model ? 'model' : o.kernels ? 'kernel' : 'file';
    // A failed request (no answer, 5xx) is tried again, as a student would, a few times.
    for (let attempt = 0; attempt < 4; attempt++) {
      const form = new FormData();
      if (kind !== 'file') form.append('kind', kind);
      form.append('file', new Blob([body]), kind === 'model' ? 'model.onnx' : kind === 'kernel' ? 'kernel.py' : 'submission.csv');
      const r = await call(rec, 'POST /api/competitions/:slug/submissions', `${base}/api/competitions/${slug}/submissions`, { method: 'POST', headers: writes, body: form });
      const u = { kind, sent: r.sent, recv: r.recv, status: r.status, code: r.body?.error?.code ?? null, id: r.status === 202 ? r.body.id : null, late: r.status === 202 ? r.body.late : null, valid, pub, priv, attempt, ...(model ? { model: model.name, expect: models.expect.get(model.name) } : {}) };
      student.uploads.push(u);
      if (r.status === 202) {
        if (model) student.models++;
        followUpload(u);
      }
      if (r.status !== 0 && r.status < 500) return;
      await sleep(1000 * (attempt + 1) + Math.random() * 1000);
    }
  };

  while (Date.now() < o.endAt) {
    const now = Date.now();
    const toClose = o.closesAt() - now;
    const mean = toClose > 0 ? Math.max(o.thinkMinMs, o.thinkMaxMs * Math.min(1, toClose / (o.closesAt() - o.startAt))) : o.afterCloseThinkMs;
    // A model student due in a burst wakes for it.
    const burst = models?.burstAt && !student.burstDone && student.models < models.each ? student.burstAt : Infinity;
    await sleep(Math.min(expo(mean), o.endAt - Date.now(), burst - Date.now()));
    if (Date.now() >= o.endAt) break;
    const closed = Date.now() >= o.closesAt();
    const x = Math.random();
    if (Date.now() >= burst) await upload();
    else if (!closed) {
      if (x < 0.4) await upload();
      else if (x < 0.7) await readBoard('public');
      else if (x < 0.9) await call(rec, 'GET /api/competitions/:slug/submissions', `${base}/api/competitions/${slug}/submissions`, { headers: auth });
      else {
        const last = student.uploads.findLast((u) => u.id);
        if (last) await call(rec, 'GET /api/submissions/:id', `${base}/api/submissions/${last.id}`, { headers: auth });
        else await readBoard('public');
      }
    } else {
      if (x < 0.1) await upload(); // late
      else if (x < 0.6) await readBoard('private');
      else if (x < 0.8) await readBoard('public');
      else await call(rec, 'GET /api/competitions/:slug/submissions', `${base}/api/competitions/${slug}/submissions`, { headers: auth });
    }
  }
  stopped = true;
  clearTimeout(boardTimer);
  student.boardStream?.close();
  await boardLoop;
  // Uploads still being followed get a while longer to be scored, as a student waits at the end.
  const until = Date.now() + o.lingerMs;
  while (following > 0 && Date.now() < until) await sleep(200);
  stopFollowing = true;
  for (const s of pendingStreams.values()) s.close();
  await Promise.all(follows);
}
