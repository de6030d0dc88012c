// Starter kernels are written once, as a `.py` script with `# %%` cell markers (the "percent"
// format of Jupytext, VS Code and Spyder), and shipped as the same code in an `.ipynb` notebook.

/** A Jupyter notebook (nbformat 4). */
export interface Notebook {
  cells: Array<
    | { cell_type: 'markdown'; metadata: Record<string, never>; source: string[] }
    | { cell_type: 'code'; execution_count: null; metadata: Record<string, never>; outputs: []; source: string[] }
  >;
  metadata: Record<string, unknown>;
  nbformat: 4;
  nbformat_minor: 4;
}

function sourceLines(lines: string[]): string[] {
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((line, i) => (i < lines.length - 1 ? `${line}\n` : line));
}

/**
 * Converts a percent-format script to a notebook: `# %%` starts a code cell, `# %% [markdown]` a
 * Markdown cell whose lines drop their leading `# `. Code before the first marker is a code cell.
 */
export function scriptToNotebook(script: string): Notebook {
  const cells: Notebook['cells'] = [];
  let kind: 'code' | 'markdown' = 'code';
  let lines: string[] = [];
  const flush = () => {
    const source = sourceLines(lines);
    if (source.length > 0) {
      cells.push(
        kind === 'markdown'
          ? { cell_type: 'markdown', metadata: {}, source }
          : { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source },
      );
    }
    lines = [];
  };
  for (const line of script.replace(/\r\n/g, '\n').split('\n')) {
    const marker = /^# %%(.*)$/.exec(line);
    if (marker) {
      flush();
      kind = marker[1]!.includes('[markdown]') ? 'markdown' : 'code';
      continue;
    }
    lines.push(kind === 'markdown' ? line.replace(/^# ?/, '') : line);
  }
  flush();
  return {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
    },
    nbformat: 4,
    nbformat_minor: 4,
  };
}

/** The notebook file's text, as committed (stable formatting so a check can compare bytes). */
export function notebookText(notebook: Notebook): string {
  return `${JSON.stringify(notebook, null, 1)}\n`;
}

/** The code of a notebook's code cells, joined — what running it top to bottom executes. */
export function notebookCode(notebook: Pick<Notebook, 'cells'>): string {
  return notebook.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => c.source.join(''))
    .join('\n\n');
}
