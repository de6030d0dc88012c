import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';

/** Competition pages are Markdown; raw HTML in them is not rendered (react-markdown's default). */
export function Markdown({ source }: { source: string }) {
  return (
    <div className="prose">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml>
        {source}
      </ReactMarkdown>
    </div>
  );
}
