import sharp from 'sharp';

export type ImageHeader = { width: number; height: number; pages: number } | { problem: string };

/**
 * Width, height and page count from an image's header, or why it is refused: over `maxPixels`
 * (libvips refuses before decoding anything) or not a readable image. Never decodes pixels.
 */
export async function readImageHeader(path: string, maxPixels: number): Promise<ImageHeader> {
  try {
    const meta = await sharp(path, { limitInputPixels: maxPixels }).metadata();
    if (meta.width && meta.height && meta.width * meta.height <= maxPixels) return { width: meta.width, height: meta.height, pages: meta.pages ?? 1 };
    if (!meta.width || !meta.height) return { problem: 'is not a readable image (PNG, TIFF or JPEG)' };
  } catch (error) {
    if (!/pixel limit/i.test((error as Error).message)) return { problem: 'is not a readable image (PNG, TIFF or JPEG)' };
  }
  return { problem: `declares more pixels than this competition's limit of ${maxPixels.toLocaleString('en')} (data.maxImagePixels)` };
}
