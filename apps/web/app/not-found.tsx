import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="card" style={{ maxWidth: '36rem' }}>
      <h1>Not found</h1>
      <p>This page does not exist, or you do not have access to it.</p>
      <Link href="/">Back to the start</Link>
    </section>
  );
}
