// Human-friendly units in competition.yaml: durations ("9h", "1h30m", "45s") and byte sizes
// ("16g", "512MiB"). Both parsers are strict: anything they do not understand is rejected, so a
// typo never silently becomes a zero limit.

const DURATION_UNITS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a duration such as `9h`, `1h30m`, `2d`, `90s` into whole seconds.
 * Units, largest first, each at most once: `d`, `h`, `m`, `s`. Returns `null` when the text is
 * not a duration or is zero.
 */
export function parseDuration(text: string): number | null {
  const match = DURATION_RE.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, d, h, m, s] = match;
  const seconds =
    Number(d ?? 0) * DURATION_UNITS.d! +
    Number(h ?? 0) * DURATION_UNITS.h! +
    Number(m ?? 0) * DURATION_UNITS.m! +
    Number(s ?? 0);
  return seconds > 0 ? seconds : null;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size such as `16g` (Docker's convention: binary units), `16GiB`, `512MB` or a
 * plain number of bytes. Returns `null` when the text is not a size or is zero.
 */
export function parseByteSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? text : null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return null;
  const unit = BYTE_UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(match[1]) * unit);
  return bytes > 0 ? bytes : null;
}

/**
 * A point in a competition's timeline: either an absolute ISO-8601 timestamp with a zone
 * (`2026-09-01T00:00:00Z`) or a time relative to when the competition is imported
 * (`now`, `now+60d`, `now+2h30m`).
 */
export type TimePoint = { kind: 'absolute'; at: Date } | { kind: 'relative'; offsetSeconds: number };

/** Parses a timeline value; returns `null` when it is neither form. */
export function parseTimePoint(text: string): TimePoint | null {
  const trimmed = text.trim();
  const relative = /^now(?:\s*\+\s*(\S+))?$/.exec(trimmed);
  if (relative) {
    if (relative[1] === undefined) return { kind: 'relative', offsetSeconds: 0 };
    const seconds = parseDuration(relative[1]);
    return seconds === null ? null : { kind: 'relative', offsetSeconds: seconds };
  }
  // Require a date, a time and a zone so "2026-09-01" is not read in the server's local zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(trimmed)) return null;
  const at = new Date(trimmed);
  return Number.isNaN(at.getTime()) ? null : { kind: 'absolute', at };
}

/** The concrete instant of a time point, relative ones counted from `anchor`. */
export function resolveTimePoint(point: TimePoint, anchor: Date): Date {
  return point.kind === 'absolute' ? new Date(point.at) : new Date(anchor.getTime() + point.offsetSeconds * 1000);
}
