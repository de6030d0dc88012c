// Hostile inputs for the untrusted-input tests: each is small on the wire and expensive (or
// fatal) to whoever parses it naively. Kept here so the bad-input corpus can grow from one place.

/** A little-endian TIFF header declaring a `width`×`height` 8-bit grey image whose pixels are missing (truncated). */
export function tiffDeclaring(width: number, height: number): Buffer {
  const entries: [tag: number, type: number, value: number][] = [
    [256, 4, width], // ImageWidth (LONG)
    [257, 4, height], // ImageLength
    [258, 3, 8], // BitsPerSample (SHORT)
    [259, 3, 1], // Compression: none
    [262, 3, 1], // Photometric: black is zero
    [273, 4, 8 + 2 + 10 * 12 + 4], // StripOffsets: right after the IFD
    [277, 3, 1], // SamplesPerPixel
    [278, 4, height], // RowsPerStrip: one strip
    [279, 4, width * height > 0xffffffff ? 0xffffffff : width * height], // StripByteCounts
    [284, 3, 1], // PlanarConfiguration: chunky
  ];
  const buf = Buffer.alloc(8 + 2 + entries.length * 12 + 4 + 64);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4);
  buf.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(1, at + 4);
    if (type === 3) buf.writeUInt16LE(value, at + 8);
    else buf.writeUInt32LE(value, at + 8);
  });
  return buf; // next-IFD offset 0, then 64 bytes where gigabytes of pixels should be
}

/** A "billion laughs" YAML file: nine levels of nine aliases each (387 million strings) in under 1 KB. */
export function billionLaughsYaml(): string {
  const lines = ['schemaVersion: 1', 'slug: laughs', 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  lines.push('title: *l9');
  return `${lines.join('\n')}\n`;
}

/** A YAML flow sequence nested `depth` levels deep (two bytes a level). */
export function deeplyNestedYaml(depth: number): string {
  return `schemaVersion: 1\nslug: deep\ntitle: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
}
