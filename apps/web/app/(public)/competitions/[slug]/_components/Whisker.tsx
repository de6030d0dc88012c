/** Bootstrap-interval whisker for one row, on a scale shared by the whole board. */
export function Whisker({
  score,
  interval,
  min,
  max,
}: {
  score: number;
  interval: [number, number] | null;
  min: number;
  max: number;
}) {
  const W = 120;
  const H = 14;
  const span = max - min || 1;
  const x = (v: number) => 4 + ((v - min) / span) * (W - 8);
  return (
    <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
      {interval && (
        <>
          <line x1={x(interval[0])} x2={x(interval[1])} y1={H / 2} y2={H / 2} stroke="var(--muted)" strokeWidth={1.5} />
          <line x1={x(interval[0])} x2={x(interval[0])} y1={3} y2={H - 3} stroke="var(--muted)" strokeWidth={1.5} />
          <line x1={x(interval[1])} x2={x(interval[1])} y1={3} y2={H - 3} stroke="var(--muted)" strokeWidth={1.5} />
        </>
      )}
      <circle cx={x(score)} cy={H / 2} r={3.5} fill="var(--accent)" />
    </svg>
  );
}
