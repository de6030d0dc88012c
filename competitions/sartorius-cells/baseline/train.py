"""Baseline U-Net for sartorius-cells, trained on CPU and exported to ONNX for a model submission.

What it trains
--------------
A small U-Net (4 levels, 8-16-32-64 channels, about 120k weights) that outputs three logits per
pixel, which the platform turns into non-overlapping cell instances:

- channel 0, foreground: the pixel lies in some cell;
- channel 1, boundary:   the pixel lies on the 1 px inner ring of a cell, or where two cells'
                         annotations overlap (so touching cells separate);
- channel 2, centre:     the pixel lies in a cell's core: where its distance to the cell's edge
                         is at least half the largest such distance in that cell (one compact
                         blob per cell, apart even when cells touch).

The platform runs the model over 256x256 windows every 128 px at full resolution, averages the
overlapping windows and the flip passes, thresholds the sigmoids at 0.5, takes the connected
components of the centre channel as seeds and grows them over the foreground (watershed), then
drops instances under 20 px. So the model trains on random 256x256 crops of the 520x704 train
images, at full resolution. Loss: BCE + soft Dice per channel. Augmentation: flips, 90-degree
rotations, a little brightness/contrast jitter.

The model contract (competition.yaml, `model:`)
-----------------------------------------------
- input  "image":  float32 [N, 1, H, W], grey scaled to 0..1 then normalised as (x - 0.5) / 0.25.
                   The platform feeds H = W = 256.
- output "logits": float32 [N, 3, H, W], logits of foreground, boundary, centre (the platform
                   applies the sigmoid).
- batch, height and width are dynamic axes; H and W must be multiples of 8 (256 is). ONNX
  opset 13, ordinary operators only (Conv, BatchNormalization, Relu, MaxPool, ConvTranspose,
  Concat), weights embedded in the file.

How to run
----------
    # 1. build the demo data (60 train images) with the Holdout CLI:
    # from the repository root
    node apps/cli/dist/main.cjs bundles build sartorius-cells --scale demo --data-dir /tmp/baseline-data
    #    it prints the folder that holds public/, e.g.
    #    /tmp/baseline-data/competitions/sartorius-cells/<recipe-hash>

    # 2. train (about 8 minutes on 2 CPU cores) and export:
    python3 competitions/sartorius-cells/baseline/train.py \
        --data /tmp/baseline-data/competitions/sartorius-cells/<recipe-hash> \
        --out competitions/sartorius-cells/baseline/model.onnx

    # 3. local CV through the platform's own pipeline, on the held-out images:
    node apps/cli/dist/main.cjs predict --bundle competitions/sartorius-cells \
        --model competitions/sartorius-cells/baseline/model.onnx --images <held-out images> --out pred.csv

Needs PyTorch (1.13 or newer), numpy, scipy and Pillow; scikit-image for the validation's
watershed. The defaults reproduce the shipped model. `--val-per-type` images of each cell type
(the last by sorted id) are held out: training never sees them, and the script reports their
foreground IoU and an approximate instance mAP (whole image through the model, flip TTA,
threshold 0.5, watershed from the centre seeds, minimum area 20: close to the platform's steps).
"""
import argparse
import collections
import csv
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage

# The contract and the pipeline, from competition.yaml.
MEAN, STD = 0.5, 0.25
WINDOW = 256
THRESHOLD = 0.5
MIN_AREA = 20
CORE = 0.5  # a cell's centre: pixels at least CORE x the cell's largest distance from its edge
IOU_THRESHOLDS = np.arange(0.5, 0.96, 0.05)


# ---------------------------------------------------------------------------------------------
# Data and targets
# ---------------------------------------------------------------------------------------------
def rle_decode(rle, height, width):
    """Mask (height x width, bool) from a row-major, 1-indexed "start length" RLE."""
    flat = np.zeros(height * width, dtype=bool)
    numbers = np.array(rle.split(), dtype=np.int64)
    for start, length in zip(numbers[0::2] - 1, numbers[1::2]):
        flat[start:start + length] = True
    return flat.reshape(height, width)  # row-major: pixels run along each row first


def load_annotations(data_dir):
    """{id: (cell_type, height, width, [rle, ...])} from public/train.csv (one row per cell)."""
    images = collections.OrderedDict()
    with open(os.path.join(data_dir, 'public', 'train.csv'), newline='') as f:
        for row in csv.DictReader(f):
            entry = images.setdefault(row['id'], (row['cell_type'], int(row['height']), int(row['width']), []))
            entry[3].append(row['annotation'])
    return images


def make_targets(cells, height, width):
    """(3, H, W) uint8 targets (foreground, boundary, centre) from the cells' masks."""
    count = np.zeros((height, width), dtype=np.uint8)  # annotations covering each pixel
    ring = np.zeros((height, width), dtype=bool)
    core = np.zeros((height, width), dtype=bool)
    for cell in cells:
        rows, cols = np.nonzero(cell)
        if len(rows) == 0:
            continue
        # Work in the cell's bounding box, with a 1 px margin so the edge erodes properly.
        y0, y1 = max(rows.min() - 1, 0), min(rows.max() + 2, height)
        x0, x1 = max(cols.min() - 1, 0), min(cols.max() + 2, width)
        box = cell[y0:y1, x0:x1]
        count[y0:y1, x0:x1] += box
        inner = ndimage.binary_erosion(box, structure=np.ones((3, 3)), border_value=0)
        ring[y0:y1, x0:x1] |= box & ~inner
        distance = ndimage.distance_transform_edt(np.pad(box, 1))[1:-1, 1:-1]
        core[y0:y1, x0:x1] |= distance >= CORE * distance.max()
    foreground = count > 0
    boundary = ring | (count > 1)  # touching / overlapping cells are cut apart
    centre = core & (count == 1)
    return np.stack([foreground, boundary, centre]).astype(np.uint8)


def instance_labels(cells, height, width):
    """Label image of the cells (later cells win where annotations overlap), for validation."""
    labels = np.zeros((height, width), dtype=np.int32)
    for k, cell in enumerate(cells, start=1):
        labels[cell] = k
    return labels


def normalise(grey):
    """uint8 / float grey (..., H, W) -> float32 (..., 1, H, W) normalised as the platform does."""
    return ((np.asarray(grey, dtype=np.float32) / 255.0 - MEAN) / STD)[..., None, :, :]


def sample_batch(rng, images, batch_size, crop):
    """A batch of augmented random crops: (images [B,1,C,C], targets [B,3,C,C]) tensors."""
    xs, ys = [], []
    for _ in range(batch_size):
        grey, target = images[rng.integers(len(images))]
        h, w = grey.shape
        y, x = rng.integers(h - crop + 1), rng.integers(w - crop + 1)
        img, tgt = grey[y:y + crop, x:x + crop], target[:, y:y + crop, x:x + crop]
        k = rng.integers(4)
        img, tgt = np.rot90(img, k), np.rot90(tgt, k, axes=(1, 2))
        if rng.random() < 0.5:
            img, tgt = img[:, ::-1], tgt[:, :, ::-1]
        # Mild brightness / contrast jitter around the image's mean grey level.
        mean = img.mean()
        img = np.clip((img - mean) * rng.uniform(0.85, 1.15) + mean + rng.uniform(-12, 12), 0, 255)
        xs.append(normalise(img))
        ys.append(tgt.astype(np.float32))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Plain U-Net: conv blocks, 2x2 max-pool down, 2x2 transposed conv up, skip concatenation.
    With L levels, H and W must be multiples of 2**(L-1)."""

    def __init__(self, in_channels, out_channels, widths):
        super().__init__()
        self.down = nn.ModuleList()
        c = in_channels
        for w in widths:
            self.down.append(conv_block(c, w))
            c = w
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.merge.append(conv_block(2 * w, w))
            c = w
        self.head = nn.Conv2d(c, out_channels, 1)
        self.multiple = 2 ** (len(widths) - 1)  # input sides must be multiples of this

    def forward(self, x):
        skips = []
        for level, block in enumerate(self.down):
            if level > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)


def dice_bce_loss(logits, target):
    """BCE + (1 - soft Dice), each averaged over the three channels."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum(dim=(0, 2, 3))
    dice = (2 * inter + 1) / (p.sum(dim=(0, 2, 3)) + target.sum(dim=(0, 2, 3)) + 1)
    return bce + (1 - dice).mean()


# ---------------------------------------------------------------------------------------------
# Validation: whole held-out images, flip TTA, foreground IoU and approximate instance mAP
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def predict_image(model, grey):
    """Sigmoid probabilities (3, H, W) over a whole image, averaged over flips."""
    h, w = grey.shape
    padded = np.pad(grey, ((0, -h % model.multiple), (0, -w % model.multiple)), mode='reflect')
    x = torch.from_numpy(normalise(padded)[None]).contiguous(memory_format=torch.channels_last)
    p = torch.sigmoid(model(x))
    p += torch.sigmoid(model(x.flip(3))).flip(3)
    p += torch.sigmoid(model(x.flip(2))).flip(2)
    return (p[0, :, :h, :w] / 3).numpy()


def to_instances(prob):
    """Label image from the probabilities, as the platform does: centre seeds grown over the
    foreground (most confident first), unseeded foreground components kept, small ones dropped."""
    from skimage.segmentation import watershed
    foreground = prob[0] >= THRESHOLD
    seeds, count = ndimage.label((prob[2] >= THRESHOLD) & foreground, structure=np.ones((3, 3)))
    labels = watershed(-prob[0], markers=seeds, mask=foreground)
    orphans, n = ndimage.label(foreground & (labels == 0), structure=np.ones((3, 3)))
    labels[orphans > 0] = orphans[orphans > 0] + count
    areas = np.bincount(labels.ravel())
    labels[areas[labels] < MIN_AREA] = 0
    return labels


def average_precision(truth, pred):
    """The competition's per-image score: mean over IoU thresholds of TP / (TP + FP + FN)."""
    t_ids, p_ids = np.unique(truth)[1:], np.unique(pred)[1:]
    if len(p_ids) == 0:
        return 1.0 if len(t_ids) == 0 else 0.0
    # Intersections from the joint histogram of (truth label, predicted label).
    joint = np.bincount(truth.ravel() * (pred.max() + 1) + pred.ravel(),
                        minlength=(truth.max() + 1) * (pred.max() + 1)).reshape(truth.max() + 1, pred.max() + 1)
    inter = joint[np.ix_(t_ids, p_ids)]
    union = joint[t_ids].sum(1)[:, None] + joint[:, p_ids].sum(0)[None, :] - inter
    iou = inter / union
    scores = []
    for t in IOU_THRESHOLDS:
        tp = int(((iou > t).sum(1) > 0).sum())  # at t >= 0.5 a cell matches at most one prediction
        scores.append(tp / (len(t_ids) + len(p_ids) - tp))
    return float(np.mean(scores))


def validate(model, val_images):
    """(foreground IoU pooled over the images, mean approximate instance mAP)."""
    model.eval()
    inter = union = 0
    aps = []
    for grey, target, labels in val_images:
        prob = predict_image(model, grey)
        pred, truth = prob[0] >= THRESHOLD, target[0] > 0
        inter += np.logical_and(pred, truth).sum()
        union += np.logical_or(pred, truth).sum()
        aps.append(average_precision(labels, to_instances(prob)))
    model.train()
    return inter / max(union, 1), float(np.mean(aps))


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------
def export_onnx(model, path):
    model.eval().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, 1, WINDOW, WINDOW)
    axes = {0: 'batch', 2: 'height', 3: 'width'}
    torch.onnx.export(
        model, dummy, path,
        input_names=['image'], output_names=['logits'],
        dynamic_axes={'image': axes, 'logits': axes},
        opset_version=13, do_constant_folding=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', required=True, help='built data root, the folder that holds public/')
    parser.add_argument('--out', default='model.onnx', help='ONNX file to write')
    parser.add_argument('--epochs', type=int, default=45)
    parser.add_argument('--steps-per-epoch', type=int, default=4)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--crop', type=int, default=WINDOW, help='training crop side (the platform window: 256)')
    parser.add_argument('--lr', type=float, default=6e-3)
    parser.add_argument('--widths', default='8,16,32,64', help='channels per U-Net level')
    parser.add_argument('--val-per-type', type=int, default=2, help='images of each cell type held out')
    parser.add_argument('--val-every', type=int, default=0, help='validate every N epochs (0: only at the end)')
    parser.add_argument('--minutes', type=float, default=10.5,
                        help='time budget for training: it stops early (and still exports) past it')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    start = time.time()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    annotations = load_annotations(args.data)
    by_type = collections.defaultdict(list)
    for image_id, (cell_type, _, _, _) in sorted(annotations.items()):
        by_type[cell_type].append(image_id)
    val_ids = sorted(i for ids in by_type.values() for i in ids[len(ids) - args.val_per_type:]) \
        if args.val_per_type > 0 else []

    train_images, val_images = [], []
    for image_id, (_, height, width, rles) in annotations.items():
        grey = np.asarray(Image.open(os.path.join(args.data, 'public', 'train', image_id + '.png')).convert('L'))
        cells = [rle_decode(rle, height, width) for rle in rles]
        target = make_targets(cells, height, width)
        if image_id in val_ids:
            val_images.append((grey, target, instance_labels(cells, height, width)))
        else:
            train_images.append((grey, target))
    print(f'train images: {len(train_images)}, validation images: {val_ids} '
          f'(loaded in {time.time() - start:.0f} s)', flush=True)

    widths = [int(w) for w in args.widths.split(',')]
    model = UNet(1, 3, widths).to(memory_format=torch.channels_last)  # channels-last: faster on CPU
    print(f'U-Net {widths}: {sum(p.numel() for p in model.parameters())} weights', flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    total_steps = args.epochs * args.steps_per_epoch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=total_steps,
                                                   pct_start=0.1)

    budget = args.minutes * 60
    model.train()
    for epoch in range(1, args.epochs + 1):
        losses = []
        for _ in range(args.steps_per_epoch):
            images, targets = sample_batch(rng, train_images, args.batch_size, args.crop)
            images = images.contiguous(memory_format=torch.channels_last)
            loss = dice_bce_loss(model(images), targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        line = f'epoch {epoch:3d}/{args.epochs}  loss {np.mean(losses):.4f}  {time.time() - start:5.0f} s'
        if val_images and args.val_every and epoch % args.val_every == 0 and epoch < args.epochs:
            iou, ap = validate(model, val_images)
            line += f'  val foreground IoU {iou:.4f}  approx mAP {ap:.4f}'
        print(line, flush=True)
        if time.time() - start > budget and epoch < args.epochs:
            print(f'time budget of {args.minutes} min reached: stopping after epoch {epoch}', flush=True)
            break

    if val_images:
        iou, ap = validate(model, val_images)
        print(f'final val foreground IoU {iou:.4f}, approx instance mAP {ap:.4f}', flush=True)
    export_onnx(model, args.out)
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB); total {time.time() - start:.0f} s', flush=True)


if __name__ == '__main__':
    main()
