import type { RleOrder } from '@holdout/contracts';
import { encodeRle, pixelNumber } from '@/lib/rle';

// A 5×7 mask with one blob: small enough to number every pixel.
const MASK = [
  '.......',
  '..##...',
  '.####..',
  '..###..',
  '.......',
].map((r) => [...r].map((ch) => ch === '#'));

const CELL = 34;

/** Worked example of the competition's RLE: each pixel's number in its pixel order, and the code. */
export function RleExample({ order }: { order: RleOrder }) {
  const h = MASK.length;
  const w = MASK[0]!.length;
  const rle = encodeRle(MASK, order);
  const first = rle.split(' ').slice(0, 2).join(' ');
  return (
    <figure style={{ margin: 0 }}>
      <svg
        className="rle-grid"
        viewBox={`0 0 ${w * CELL + 2} ${h * CELL + 2}`}
        width={w * CELL + 2}
        height={h * CELL + 2}
        role="img"
        aria-labelledby="rle-caption"
        data-testid="rle-example"
      >
        {MASK.map((row, r) =>
          row.map((on, c) => (
            <g key={`${r}-${c}`}>
              <rect
                x={1 + c * CELL}
                y={1 + r * CELL}
                width={CELL - 2}
                height={CELL - 2}
                rx={3}
                className={on ? 'on' : 'off'}
              />
              <text
                x={1 + c * CELL + CELL / 2 - 1}
                y={1 + r * CELL + CELL / 2 + 3}
                textAnchor="middle"
                className={on ? 'on-label' : undefined}
              >
                {pixelNumber(r, c, h, w, order)}
              </text>
            </g>
          )),
        )}
      </svg>
      <figcaption id="rle-caption" className="small">
        A {h}×{w} mask (height × width). Pixels are numbered{' '}
        {order === 'column' ? 'top to bottom, then left to right (column-major)' : 'left to right, then top to bottom (row-major)'}
        , starting at 1. The filled pixels encode as <code data-testid="rle-code">{rle}</code>: each pair is the first pixel
        of a run and the run&apos;s length, so <code>{first}</code> is a run of {first.split(' ')[1]} starting at pixel{' '}
        {first.split(' ')[0]}.
      </figcaption>
    </figure>
  );
}
