import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

// The page already has its <h1> (the competition's title) and a section heading: Markdown
// headings move down two levels so the outline stays in order.
const demoted: Components = {
  h1: ({ node: _n, ...p }) => <h3 {...p} />,
  h2: ({ node: _n, ...p }) => <h4 {...p} />,
  h3: ({ node: _n, ...p }) => <h5 {...p} />,
  h4: ({ node: _n, ...p }) => <h6 {...p} />,
};

/** Competition pages are Markdown; raw HTML in them is not rendered. */
export function Markdown({ source }: { source: string }) {
  return (
    <div className="prose">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml components={demoted}>
        {source}
      </ReactMarkdown>
    </div>
  );
}

/** The text of a Markdown document's leading heading, if it starts with one. */
export function leadingHeading(source: string): string | null {
  const m = /^\s*#{1,3}\s+(.+)$/m.exec(source);
  return m && source.trimStart().startsWith('#') ? m[1]!.trim() : null;
}
