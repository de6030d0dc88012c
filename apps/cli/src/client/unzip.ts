import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { CliError, EXIT } from './errors.js';

/**
 * Extracts `zipPath` into `dir`: regular files only, each kept inside `dir` (yauzl refuses
 * absolute and `..` names; the resolved path is checked again). Returns the files written.
 */
export async function unzip(zipPath: string, dir: string): Promise<string[]> {
  const root = resolve(dir);
  const zip = await new Promise<yauzl.ZipFile>((ok, fail) => yauzl.open(zipPath, { lazyEntries: true }, (err, z) => (err ? fail(err) : ok(z))));
  const written: string[] = [];
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          if (entry.fileName.endsWith('/')) return zip.readEntry(); // a directory
          const target = resolve(root, entry.fileName);
          if (!target.startsWith(root + sep)) throw new CliError(`the archive names a path outside ${dir}: ${entry.fileName}`, EXIT.unreachable);
          await mkdir(dirname(target), { recursive: true });
          const stream = await new Promise<NodeJS.ReadableStream>((ok, no) => zip.openReadStream(entry, (err, s) => (err ? no(err) : ok(s))));
          await pipeline(stream, createWriteStream(target));
          written.push(target);
          zip.readEntry();
        })().catch(fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return written;
}
