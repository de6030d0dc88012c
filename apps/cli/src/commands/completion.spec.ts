import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'main.cjs');

/** What bash completes for `words`, the last being the word under the cursor. */
function complete(words: string[]): string[] {
  const script = execFileSync(process.execPath, [CLI, 'completion', 'bash'], { encoding: 'utf8' });
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _holdout; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd: '/' });
  return out.split('\n').filter(Boolean);
}

describe('holdout completion bash', () => {
  it('completes commands, their verbs and options', () => {
    assert.deepEqual(complete(['holdout', 'k']), ['kernels']);
    assert.deepEqual(complete(['holdout', 'competitions', 'sub']), ['submit', 'submissions']);
    assert.deepEqual(complete(['holdout', 'kernels', 'push', '--at']), ['--attach']);
    assert.deepEqual(complete(['holdout', 'pr']), ['predict']);
    assert.deepEqual(complete(['holdout', 'predict', '--mo']), ['--model']);
    assert.deepEqual(complete(['holdout', 'predict', '--im']), ['--images']);
    assert.deepEqual(complete(['holdout', 'competitions', 'submit', '--mo']), ['--model']);
  });
});
