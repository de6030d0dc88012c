import type { CSSProperties } from 'react';

/**
 * Bootstrap-interval whisker for one leaderboard row, drawn by CSS from three custom properties
 * (a 500-row board stays light). The axis is centred on the row's own score with the same
 * half-range on every row, so widths compare down the board; the dashed tick is the score of the
 * team above: inside the whisker means the two are not clearly apart.
 */
export function Whisker({
  score,
  interval,
  above,
  halfRange,
}: {
  score: number;
  interval: [number, number];
  above: number | null;
  halfRange: number;
}) {
  const pos = (v: number) => `${Math.round(Math.max(0, Math.min(100, 50 + ((v - score) / halfRange) * 48)) * 10) / 10}%`;
  const style = { '--l': pos(interval[0]), '--r': pos(interval[1]), '--a': above === null ? '-10%' : pos(above) } as CSSProperties;
  return <span className="wh" style={style} aria-hidden="true" />;
}
