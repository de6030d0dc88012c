// Shared by build-kernels.mjs and kernels.spec: WebAssembly text → the .wasm.ts module committed beside it.
import wabtInit from 'wabt';

/** The binary module of a .wat source (SIMD enabled), or an Error naming the file and line. */
export async function assembleKernel(text, file) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(file, text, { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({ write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}

/** The TypeScript module holding `bytes` (base64), named after the .wat file. */
export function kernelModuleSource(file, bytes) {
  const name = file.replace(/\.wat$/, '').toUpperCase().replace(/[^A-Z0-9]/g, '_') + '_WASM';
  const base64 = bytes.toString('base64').replace(/.{1,100}/g, (line) => `  '${line}' +\n`);
  return (
    `// Generated from ${file} by scripts/build-kernels.mjs (npm run build:kernels -w @holdout/inference): do not edit.\n` +
    `export const ${name} =\n${base64}  '';\n`
  );
}
