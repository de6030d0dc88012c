import * as tar from 'tar-stream';

/** A `.tar` holding `files` by name: an ensemble upload (or, with other names, a refused one) for tests. */
export async function ensembleTar(files: Record<string, Uint8Array>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => pack.on('end', resolve));
  for (const [name, bytes] of Object.entries(files)) pack.entry({ name }, Buffer.from(bytes));
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
