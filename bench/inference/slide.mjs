// A synthetic whole-slide image for the inference benchmark: blobs of stained tissue (pink with
// darker, nucleus-like speckles and grain) on white glass, written strip by strip as a tiled,
// pyramidal JPEG TIFF (libs/competition's writer), so that no full-slide buffer ever exists.
// About half of the slide is glass: the pipeline's tissue check has windows to skip.
import { writePyramidalTiff } from '../../libs/competition/dist/recipes/tiff.js';

/** Side, in pixels, of the cells of the noise that decides tissue or glass (blobs of about this size). */
const TISSUE_CELL = 1536;
/** Side of the cells of the noise that shades the tissue. */
const TEXTURE_CELL = 12;

/**
 * Writes a `width`×`height` slide to `path` and resolves once the file is complete. `tmpDir` takes
 * the writer's temporary strips (about width × height × 3 bytes for slides over 40 MP).
 */
export async function writeSlide({ path, width, height, tmpDir, seed = 1, onStrip }) {
  const { encoded } = await writePyramidalTiff({ path, width, height, tmpDir, render: slideRenderer({ width, height, seed }), onStrip });
  await encoded;
}

/** The strip renderer of `writePyramidalTiff` for the slide above (deterministic for a seed). */
export function slideRenderer({ width, height, seed }) {
  const coarseW = Math.ceil(width / TISSUE_CELL) + 2;
  const coarseH = Math.ceil(height / TISSUE_CELL) + 2;
  const coarse = new Float32Array(coarseW * coarseH);
  for (let j = 0; j < coarseH; j++) for (let i = 0; i < coarseW; i++) coarse[j * coarseW + i] = hash(i, j, seed);
  const fineW = Math.ceil(width / TEXTURE_CELL) + 2;
  const fineTop = new Float32Array(fineW);
  const fineBottom = new Float32Array(fineW);
  let grain = (seed * 2654435761) >>> 0 || 1;

  return (y0, rows, out) => {
    for (let r = 0; r < rows; r++) {
      const y = y0 + r;
      // Tissue noise along this row: smoothstep-interpolated between coarse grid rows.
      const cy = y / TISSUE_CELL;
      const cj = Math.floor(cy);
      const ty = smooth(cy - cj);
      // Texture noise: the two grid rows around y, hashed once per row.
      const fy = y / TEXTURE_CELL;
      const fj = Math.floor(fy);
      const sy = smooth(fy - fj);
      for (let i = 0; i < fineW; i++) {
        fineTop[i] = hash(i, fj, seed + 7);
        fineBottom[i] = hash(i, fj + 1, seed + 7);
      }
      let o = r * width * 3;
      for (let x = 0; x < width; x++, o += 3) {
        grain ^= grain << 13;
        grain ^= grain >>> 17;
        grain ^= grain << 5;
        const g = ((grain >>> 0) % 13) - 6;
        const cx = x / TISSUE_CELL;
        const ci = Math.floor(cx);
        const tx = smooth(cx - ci);
        const a = coarse[cj * coarseW + ci] + (coarse[cj * coarseW + ci + 1] - coarse[cj * coarseW + ci]) * tx;
        const b = coarse[(cj + 1) * coarseW + ci] + (coarse[(cj + 1) * coarseW + ci + 1] - coarse[(cj + 1) * coarseW + ci]) * tx;
        if (a + (b - a) * ty < 0.5) {
          // Glass: every channel above the tissue check's near-white level (220).
          out[o] = 238 + g;
          out[o + 1] = 237 + g;
          out[o + 2] = 240 + g;
          continue;
        }
        const fx = x / TEXTURE_CELL;
        const fi = Math.floor(fx);
        const sx = smooth(fx - fi);
        const top = fineTop[fi] + (fineTop[fi + 1] - fineTop[fi]) * sx;
        const n = top + (fineBottom[fi] + (fineBottom[fi + 1] - fineBottom[fi]) * sx - top) * sy;
        if (n > 0.78) {
          out[o] = 105 + g;
          out[o + 1] = 60 + g;
          out[o + 2] = 150 + g;
        } else {
          out[o] = 215 - 50 * n + g;
          out[o + 1] = 150 - 90 * n + g;
          out[o + 2] = 200 - 40 * n + g;
        }
      }
    }
  };
}

function smooth(t) {
  return t * t * (3 - 2 * t);
}

/** Uniform in [0, 1) from grid coordinates and a seed. */
function hash(x, y, seed) {
  let h = (Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(seed, 982451653)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
