"""Baseline U-Net for hubmap-glomeruli, trained on CPU and exported to ONNX for a model submission.

What it trains
--------------
A small U-Net (4 levels, 8-16-32-64 channels, about 120k weights) that outputs one glomerulus logit
per pixel. The platform runs a submitted model through HuBMAP's 1st-place pipeline: it reads
1024x1024 windows of the slide every 512 px, resizes each to 320x320, runs the model (plus
horizontal and vertical flips), keeps each window's centre and thresholds the sigmoid at 0.4. So
the model must learn the slide at 320/1024 = 0.3125 of its resolution. To train at that scale
cheaply, every train slide is resized once by 0.3125 (the same averaging down-scale the platform
uses), and training crops are cut from the small slides: a crop of C px is a C/0.3125 px patch of
the slide seen at the platform's scale (default C = 192, a 614 px patch; the network is fully
convolutional, so it runs on the platform's 320 px windows as it is). Half of the crops are
centred near a glomerulus (glomeruli cover only ~8 % of a slide), the other half anywhere, partly
past the slide's edge (the platform pads windows that overhang the slide with black).
Loss: BCE + soft Dice. Augmentation: flips, 90-degree rotations, a little colour jitter.

The model contract (competition.yaml, `model:`)
-----------------------------------------------
- input  "image":  float32 [N, 3, H, W], RGB scaled to 0..1 then normalised per channel as
                   (x - mean) / std with the ImageNet mean [0.485, 0.456, 0.406] and
                   std [0.229, 0.224, 0.225]. The platform feeds H = W = 320.
- output "logits": float32 [N, 1, H, W], glomerulus logits (the platform applies the sigmoid).
- batch, height and width are dynamic axes; H and W must be multiples of 8 (320 is). ONNX
  opset 13, ordinary operators only (Conv, BatchNormalization, Relu, MaxPool, ConvTranspose,
  Concat), weights embedded in the file.

How to run
----------
    # 1. build the demo data (15 train slides of 2560-3072 px) with the Holdout CLI:
    # from the repository root
    node apps/cli/dist/main.cjs bundles build hubmap-glomeruli --scale demo --data-dir /tmp/baseline-data
    #    it prints the folder that holds public/, e.g.
    #    /tmp/baseline-data/competitions/hubmap-glomeruli/<recipe-hash>

    # 2. train (about 7 minutes on 2 CPU cores) and export:
    python3 competitions/hubmap-glomeruli/baseline/train.py \
        --data /tmp/baseline-data/competitions/hubmap-glomeruli/<recipe-hash> \
        --out competitions/hubmap-glomeruli/baseline/model.onnx

    # 3. local CV through the platform's own pipeline, on the held-out slides:
    node apps/cli/dist/main.cjs predict --bundle competitions/hubmap-glomeruli \
        --model competitions/hubmap-glomeruli/baseline/model.onnx --images <held-out slides> --out pred.csv

Needs PyTorch (1.13 or newer), numpy and Pillow. The defaults reproduce the shipped model.
The last `--val-slides` train slides (sorted by id) are held out: training never sees them, and
the script reports their Dice, computed over whole slides at full resolution (a close stand-in
for the platform's tiled pipeline: whole small slide through the model, flip TTA, threshold 0.4).
"""
import argparse
import csv
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # slides are large on purpose

# The contract and the pipeline, from competition.yaml.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
WINDOW, SIZE = 1024, 320  # the platform resizes 1024 px windows to 320 px
SCALE = SIZE / WINDOW
THRESHOLD = 0.4


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def rle_decode(rle, height, width):
    """Mask (height x width, uint8) from a column-major, 1-indexed "start length" RLE."""
    flat = np.zeros(height * width, dtype=np.uint8)
    numbers = np.array(rle.split(), dtype=np.int64)
    for start, length in zip(numbers[0::2] - 1, numbers[1::2]):
        flat[start:start + length] = 1
    return flat.reshape(width, height).T  # column-major: pixels run down each column first


def load_slide(path, mask_rle):
    """The slide and its mask resized by SCALE: (H', W', 3) uint8 and (H', W') uint8 0/1.

    PIL's bilinear down-scale averages over each output pixel's footprint, like the platform's
    libvips 'linear' resize of a 1024 px window to 320 px."""
    image = Image.open(path)  # page 0 of the pyramid: full resolution
    width, height = image.size
    size = (round(width * SCALE), round(height * SCALE))
    small = np.asarray(image.convert('RGB').resize(size, Image.BILINEAR))
    mask = Image.fromarray(rle_decode(mask_rle, height, width) * 255)
    small_mask = (np.asarray(mask.resize(size, Image.BILINEAR)) >= 128).astype(np.uint8)
    return small, small_mask, (height, width)


def load_split(data_dir):
    """{id: rle} of the train slides."""
    with open(os.path.join(data_dir, 'public', 'train.csv'), newline='') as f:
        return {row['id']: row['encoding'] for row in csv.DictReader(f)}


def normalise(rgb):
    """uint8 (..., H, W, 3) -> float32 (..., 3, H, W) normalised as the platform does."""
    x = (rgb.astype(np.float32) / 255.0 - MEAN) / STD
    return np.moveaxis(x, -1, -3)


def cut(array, y, x, size):
    """array[y:y+size, x:x+size], reading zeros (black) where the crop overhangs the array."""
    out = np.zeros((size, size) + array.shape[2:], dtype=array.dtype)
    y0, x0 = max(y, 0), max(x, 0)
    y1, x1 = min(y + size, array.shape[0]), min(x + size, array.shape[1])
    if y1 > y0 and x1 > x0:
        out[y0 - y:y1 - y, x0 - x:x1 - x] = array[y0:y1, x0:x1]
    return out


def sample_batch(rng, slides, batch_size, crop):
    """A batch of augmented training crops: (images [B,3,C,C], masks [B,1,C,C]) tensors."""
    images, masks = [], []
    for _ in range(batch_size):
        image, mask, positives = slides[rng.integers(len(slides))]
        h, w = mask.shape
        if len(positives) and rng.random() < 0.5:
            # Near a glomerulus: a random glomerulus pixel somewhere in the crop.
            cy, cx = positives[rng.integers(len(positives))]
            y = cy - rng.integers(crop // 8, crop - crop // 8)
            x = cx - rng.integers(crop // 8, crop - crop // 8)
        else:
            # Anywhere, up to a quarter of the crop past the slide's edge.
            y = rng.integers(-crop // 4, h - crop + crop // 4 + 1)
            x = rng.integers(-crop // 4, w - crop + crop // 4 + 1)
        img, msk = cut(image, y, x, crop), cut(mask, y, x, crop)
        # Geometric augmentation: flips and 90-degree rotations.
        k = rng.integers(4)
        img, msk = np.rot90(img, k), np.rot90(msk, k)
        if rng.random() < 0.5:
            img, msk = img[:, ::-1], msk[:, ::-1]
        # Mild colour jitter (stains vary a little from slide to slide); padding stays black.
        gain = rng.uniform(0.92, 1.08, size=3) * rng.uniform(0.92, 1.08)
        img = np.clip(img.astype(np.float32) * gain, 0, 255)
        images.append(normalise(img))
        masks.append(msk[None].astype(np.float32))
    return torch.from_numpy(np.stack(images)), torch.from_numpy(np.stack(masks))


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
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + (1 - dice)


# ---------------------------------------------------------------------------------------------
# Validation: whole held-out slides, flip TTA, threshold 0.4, Dice at full resolution
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def predict_small_slide(model, image):
    """Sigmoid probabilities over a down-scaled slide (H', W'), averaged over flips."""
    h, w = image.shape[:2]
    ph, pw = -h % model.multiple, -w % model.multiple
    padded = np.pad(image, ((0, ph), (0, pw), (0, 0)))  # pad with black, like the platform
    x = torch.from_numpy(normalise(padded)[None]).contiguous(memory_format=torch.channels_last)
    p = torch.sigmoid(model(x))
    p += torch.sigmoid(model(x.flip(3))).flip(3)
    p += torch.sigmoid(model(x.flip(2))).flip(2)
    return p[0, 0, :h, :w] / 3


def validate(model, val_slides):
    """Mean Dice of the held-out slides, predictions scaled back to full resolution."""
    model.eval()
    scores = []
    for image, full_mask, (height, width) in val_slides:
        p = predict_small_slide(model, image)
        p = F.interpolate(p[None, None], size=(height, width), mode='bilinear', align_corners=False)[0, 0]
        pred = (p >= THRESHOLD).numpy()
        inter = np.logical_and(pred, full_mask).sum()
        total = pred.sum() + full_mask.sum()
        scores.append(1.0 if total == 0 else 2.0 * inter / total)
    model.train()
    return float(np.mean(scores)), scores


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------
def export_onnx(model, path, in_channels):
    model.eval().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, in_channels, SIZE, SIZE)
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
    parser.add_argument('--steps-per-epoch', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--crop', type=int, default=192, help='training crop side, in model pixels')
    parser.add_argument('--lr', type=float, default=6e-3)
    parser.add_argument('--widths', default='8,16,32,64', help='channels per U-Net level')
    parser.add_argument('--val-slides', type=int, default=3, help='train slides held out for validation')
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

    rles = load_split(args.data)
    ids = sorted(rles)
    val_ids = ids[len(ids) - args.val_slides:] if args.val_slides > 0 else []
    train_ids = [i for i in ids if i not in val_ids]
    train_dir = os.path.join(args.data, 'public', 'train')

    train_slides = []
    for slide_id in train_ids:
        image, mask, _ = load_slide(os.path.join(train_dir, slide_id + '.tiff'), rles[slide_id])
        train_slides.append((image, mask, np.argwhere(mask)))
    val_slides = []
    for slide_id in val_ids:
        image, _, (height, width) = load_slide(os.path.join(train_dir, slide_id + '.tiff'), rles[slide_id])
        val_slides.append((image, rle_decode(rles[slide_id], height, width).astype(bool), (height, width)))
    print(f'train slides: {len(train_slides)}, validation slides: {val_ids} '
          f'(loaded in {time.time() - start:.0f} s)', flush=True)

    widths = [int(w) for w in args.widths.split(',')]
    model = UNet(3, 1, widths).to(memory_format=torch.channels_last)  # channels-last: faster on CPU
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
            images, masks = sample_batch(rng, train_slides, args.batch_size, args.crop)
            images = images.contiguous(memory_format=torch.channels_last)
            loss = dice_bce_loss(model(images), masks)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        line = f'epoch {epoch:3d}/{args.epochs}  loss {np.mean(losses):.4f}  {time.time() - start:5.0f} s'
        if val_slides and args.val_every and epoch % args.val_every == 0 and epoch < args.epochs:
            line += f'  val Dice {validate(model, val_slides)[0]:.4f}'
        print(line, flush=True)
        if time.time() - start > budget and epoch < args.epochs:
            print(f'time budget of {args.minutes} min reached: stopping after epoch {epoch}', flush=True)
            break

    if val_slides:
        mean, per_slide = validate(model, val_slides)
        print('final val Dice per slide: ' + ', '.join(f'{i} {s:.4f}' for i, s in zip(val_ids, per_slide))
              + f'; mean {mean:.4f}', flush=True)
    export_onnx(model, args.out, 3)
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB); total {time.time() - start:.0f} s', flush=True)


if __name__ == '__main__':
    main()
