// The floor: read the same files the same way the scorer does (1 MiB chunks) and look at every
// byte once (counting fields and records), doing nothing else.
// Usage: node bench/metrics/scan.mjs FILE...
import { open } from 'node:fs/promises';

// The loop lives in a function (not module scope) so V8 compiles it as tightly as the scorer's.
function scan(buf, n, counts) {
  let records = counts.records;
  let fields = counts.fields;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 10) records++;
    else if (c === 44) fields++;
  }
  counts.records = records;
  counts.fields = fields;
}

const counts = { records: 0, fields: 0 };
let bytes = 0;
const buf = Buffer.allocUnsafe(1 << 20);
for (const path of process.argv.slice(2)) {
  const handle = await open(path, 'r');
  for (;;) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    bytes += bytesRead;
    scan(buf, bytesRead, counts);
  }
  await handle.close();
}
process.stdout.write(`${JSON.stringify({ bytes, ...counts })}\n`);
