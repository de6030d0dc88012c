# %% [markdown]
# # Starter kernel: cells by thresholding and watershed
#
# No learning. Phase contrast shows cells darker than the background with a bright halo, so:
# subtract a smooth background, threshold the darkness, clean the mask with morphology, then
# split touching cells with a watershed seeded at the darkest point of each cell. Instances come
# out of the watershed as labels, so they never overlap. Uses only numpy, Pillow and
# scikit-image.

# %%
import glob
import os
import time

import numpy as np
from PIL import Image
from skimage import feature, filters, measure, morphology, segmentation

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
MIN_AREA = 30  # pixels; smaller objects are noise


# %%
def segment(image):
    """Label image (0 = background, 1..n = cells) of a grey phase-contrast frame."""
    img = image.astype(np.float32) / 255
    background = filters.gaussian(img, sigma=25)
    darkness = filters.gaussian(background - img, sigma=1.5)
    cells = darkness > 0.04
    cells = morphology.binary_opening(cells, morphology.disk(1))
    cells = morphology.remove_small_holes(cells, 64)
    cells = morphology.remove_small_objects(cells, MIN_AREA)
    # Seeds: the darkest point of each blob of darkness, at least 7 px apart (smoothed enough that an astrocyte's processes do not get seeds of their own).
    smooth = filters.gaussian(darkness, sigma=3)
    peaks = feature.peak_local_max(smooth, min_distance=7, labels=measure.label(cells), exclude_border=False)
    markers = np.zeros(img.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = segmentation.watershed(-smooth, markers, mask=cells)
    # Drop fragments too small to be a cell.
    for region in measure.regionprops(labels):
        if region.area < MIN_AREA:
            labels[labels == region.label] = 0
    return labels


def rle_encode(mask):
    """Row-major RLE (pixels numbered left to right, then top to bottom, from 1)."""
    pixels = np.concatenate([[0], mask.flatten().astype(np.int8), [0]])
    runs = np.flatnonzero(pixels[1:] != pixels[:-1]) + 1
    runs[1::2] -= runs[::2]
    return ' '.join(map(str, runs))


# %%
test_dir = os.path.join(INPUT, 'test')
rows = []
started = time.time()
names = sorted(n for n in os.listdir(test_dir) if n.endswith('.png'))
for name in names:
    image_id = name[: -len('.png')]
    labels = segment(np.asarray(Image.open(os.path.join(test_dir, name)).convert('L')))
    found = [label for label in np.unique(labels) if label != 0]
    if not found:
        rows.append((image_id, ''))  # an image without predictions appears once, empty
    for label in found:
        rows.append((image_id, rle_encode(labels == label)))
print(f'{len(names)} images, {len(rows)} rows, {time.time() - started:.0f}s')

os.makedirs(WORKING, exist_ok=True)
with open(os.path.join(WORKING, 'submission.csv'), 'w') as f:
    f.write('id,predicted\n')
    for image_id, rle in rows:
        f.write(f'{image_id},{rle}\n')
print(f'wrote {WORKING}/submission.csv')
