import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

/** Most members an ensemble archive may hold (folds × models). */
export const MAX_ENSEMBLE_MEMBERS = 8;

/** A model submission's file could not be read as one (the message names the file and what is wrong). */
export class ModelFileError extends Error {
  constructor(
    readonly code: 'MODEL_FILE_EMPTY' | 'MODEL_FILE_TOO_LARGE' | 'MODEL_ARCHIVE_INVALID' | 'MODEL_ARCHIVE_EMPTY' | 'MODEL_ARCHIVE_TOO_MANY' | 'MODEL_ARCHIVE_ENTRY',
    message: string,
  ) {
    super(message);
    this.name = 'ModelFileError';
  }
}

export interface ModelMember {
  /** `model.onnx`, or the member's name inside the archive. */
  name: string;
  bytes: Uint8Array;
}

const TAR_MAGIC_OFFSET = 257;

/**
 * The ONNX models of a model submission: the file itself, or — an ensemble, whose members'
 * probabilities are averaged — each `.onnx` regular file of a tar archive (`tar cf ens.tar
 * fold*.onnx`; at most MAX_ENSEMBLE_MEMBERS, nothing else in it but directories). The whole is held
 * to `maxBytes` before anything is read, by the file's size and each entry's declared size.
 */
export async function readModelMembers(path: string, o: { maxBytes: number; name?: string }): Promise<ModelMember[]> {
  const name = o.name ?? basename(path);
  const size = (await stat(path)).size;
  if (size === 0) throw new ModelFileError('MODEL_FILE_EMPTY', `${name} is empty`);
  if (size > o.maxBytes) throw new ModelFileError('MODEL_FILE_TOO_LARGE', `${name} is ${mb(size)}, over this competition's limit of ${mb(o.maxBytes)}`);
  if (!(await isTar(path))) {
    const fh = await open(path, 'r');
    try {
      return [{ name, bytes: new Uint8Array(await fh.readFile()) }];
    } finally {
      await fh.close();
    }
  }
  const members: ModelMember[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const fail = (message: string, code: ModelFileError['code'] = 'MODEL_ARCHIVE_ENTRY') => {
      stream.resume();
      next(new ModelFileError(code, `${name}: ${message}`));
    };
    if (h.type === 'directory') {
      stream.resume();
      return next();
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return fail(`"${h.name}" is not a regular file (links and devices are refused)`);
    if (!h.name.toLowerCase().endsWith('.onnx')) return fail(`"${h.name}" is not an .onnx file (an ensemble holds .onnx files only)`);
    if (members.length >= MAX_ENSEMBLE_MEMBERS) return fail(`holds more than ${MAX_ENSEMBLE_MEMBERS} models`, 'MODEL_ARCHIVE_TOO_MANY');
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      members.push({ name: h.name, bytes: new Uint8Array(Buffer.concat(chunks)) });
      next();
    });
  });
  try {
    await pipeline(createReadStream(path), extract);
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError('MODEL_ARCHIVE_INVALID', `${name} looks like a tar archive but cannot be read: ${(err as Error).message}`);
  }
  if (members.length === 0) throw new ModelFileError('MODEL_ARCHIVE_EMPTY', `${name} holds no .onnx file`);
  return members;
}

/** A tar archive has "ustar" at byte 257; an ONNX file (protobuf) never starts that way. */
async function isTar(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await fh.read(buf, 0, 5, TAR_MAGIC_OFFSET);
    return bytesRead === 5 && buf.toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
