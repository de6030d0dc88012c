# %% [markdown]
# # Starter kernel: glomeruli by colour, smoothing and morphology
#
# No learning: the glomerular tuft is the densest purple in a PAS stain, so a smoothed
# "darkness" map thresholded at a fixed level finds tufts; each tuft is then grown by the width
# of Bowman's space and capsule. Everything runs on the pyramid level about 4x smaller than
# the slide, and the mask is scaled back up run by run, so whole-slide sizes fit in memory.
# Uses only numpy, Pillow and scikit-image.

# %%
import glob
import os
import time

import numpy as np
from PIL import Image
from skimage import filters, measure, morphology

Image.MAX_IMAGE_PIXELS = None  # whole-slide images are large on purpose

def find_input():
    """This competition's folder under /kaggle/input: the one with sample_submission.csv. Its name
    is the competition's slug, which the instructor chose, so it is found rather than named."""
    if os.environ.get('KAGGLE_INPUT_DIR'):
        return os.environ['KAGGLE_INPUT_DIR']
    found = sorted(os.path.dirname(p) for p in glob.glob('/kaggle/input/*/sample_submission.csv'))
    if not found:
        raise FileNotFoundError('no competition data under /kaggle/input (looked for */sample_submission.csv)')
    return found[0]


INPUT = find_input()
WORKING = os.environ.get('KAGGLE_WORKING_DIR', '/kaggle/working')
DOWNSCALE = 4  # work on the pyramid level closest to 1/4 of the slide

# %%
def read_level(path, factor):
    """Returns (RGB array of the pyramid page closest to 1/factor of the slide, full height, width)."""
    im = Image.open(path)
    full_w, full_h = im.size
    widths = []
    for page in range(getattr(im, 'n_frames', 1)):
        im.seek(page)
        widths.append(im.size[0])
    best = min(range(len(widths)), key=lambda p: abs(widths[p] * factor - full_w))
    im.seek(best)
    return np.asarray(im.convert('RGB')), full_h, full_w


def predict_level(rgb):
    """Binary glomerulus mask at the level's resolution."""
    green = rgb[..., 1].astype(np.float32)
    tissue = rgb.astype(np.float32).mean(axis=2) < 235
    smooth = filters.gaussian(green, sigma=3, preserve_range=True)
    tuft = (smooth < 125) & tissue
    tuft = morphology.binary_opening(tuft, morphology.disk(3))
    tuft = morphology.remove_small_holes(tuft, 400)
    labels = measure.label(tuft)
    mask = np.zeros(tuft.shape, dtype=bool)
    for region in measure.regionprops(labels):
        radius = np.sqrt(region.area / np.pi)
        if radius < 10 or region.eccentricity > 0.9 or region.solidity < 0.8:
            continue  # too small, or not round: tubules and stain blotches
        grow = int(round(radius * 0.28)) + 1
        r0, c0, r1, c1 = region.bbox
        r0, c0 = max(0, r0 - grow), max(0, c0 - grow)
        r1, c1 = min(mask.shape[0], r1 + grow), min(mask.shape[1], c1 + grow)
        crop = labels[r0:r1, c0:c1] == region.label
        mask[r0:r1, c0:c1] |= morphology.binary_dilation(crop, morphology.disk(grow))
    return mask


# %%
def rle_full_size(mask, full_h, full_w):
    """Column-major RLE of `mask` scaled up (nearest) to full_h x full_w, built run by run."""
    h, w = mask.shape
    # Full-resolution rows/columns covered by each low-resolution row/column.
    row_edges = np.ceil(np.arange(h + 1) * full_h / h).astype(np.int64)
    col_edges = np.ceil(np.arange(w + 1) * full_w / w).astype(np.int64)
    parts = []
    for c in range(w):
        column = np.concatenate([[0], mask[:, c].astype(np.int8), [0]])
        changes = np.flatnonzero(np.diff(column))
        if len(changes) == 0:
            continue
        starts, ends = row_edges[changes[0::2]], row_edges[changes[1::2]]
        for x in range(col_edges[c], col_edges[c + 1]):
            offset = x * full_h + 1
            parts.extend(f'{offset + s} {e - s}' for s, e in zip(starts, ends))
    return ' '.join(parts)


# %%
test_dir = os.path.join(INPUT, 'test')
rows = []
started = time.time()
for name in sorted(os.listdir(test_dir)):
    if not name.endswith('.tiff'):
        continue
    rgb, full_h, full_w = read_level(os.path.join(test_dir, name), DOWNSCALE)
    mask = predict_level(rgb)
    rows.append((name[: -len('.tiff')], rle_full_size(mask, full_h, full_w)))
    print(f'{name}: {full_w}x{full_h}, level {rgb.shape[1]}x{rgb.shape[0]}, '
          f'{mask.mean() * 100:.2f}% glomerulus, {time.time() - started:.0f}s', flush=True)

os.makedirs(WORKING, exist_ok=True)
with open(os.path.join(WORKING, 'submission.csv'), 'w') as f:
    f.write('id,predicted\n')
    for image_id, rle in rows:
        f.write(f'{image_id},{rle}\n')
print(f'wrote {len(rows)} rows to {WORKING}/submission.csv')
