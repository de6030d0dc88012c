import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCompetitionsDir } from './loader.js';
import { notebookCode, notebookText, scriptToNotebook } from './notebook.js';

describe('starter notebooks', () => {
  it('splits a percent-format script into Markdown and code cells', () => {
    const nb = scriptToNotebook('# %% [markdown]\n# # Title\n#\n# Text\n\n# %%\nimport os\n\nx = 1\n# %%\nprint(x)\n');
    assert.deepEqual(
      nb.cells.map((c) => [c.cell_type, c.source.join('')]),
      [
        ['markdown', '# Title\n\nText'],
        ['code', 'import os\n\nx = 1'],
        ['code', 'print(x)'],
      ],
    );
    assert.equal(nb.nbformat, 4);
  });

  for (const slug of ['hubmap-glomeruli', 'sartorius-cells']) {
    it(`${slug}: kernel.ipynb is kernel.py (regenerate with competitions/tools/make-notebooks.mjs)`, async () => {
      const dir = join(defaultCompetitionsDir(), slug, 'starter');
      const script = await readFile(join(dir, 'kernel.py'), 'utf8');
      const committed = await readFile(join(dir, 'kernel.ipynb'), 'utf8');
      assert.equal(committed, notebookText(scriptToNotebook(script)));
      assert.match(notebookCode(JSON.parse(committed)), /submission\.csv/);
    });
  }
});
