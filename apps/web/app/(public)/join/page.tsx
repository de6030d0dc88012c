import type { Metadata } from 'next';
import { requireMe } from '@/lib/api';
import { JoinForm } from './_components/JoinForm';

export const metadata: Metadata = { title: 'Join a course' };

export default async function JoinPage({ searchParams }: { searchParams: Promise<{ code?: string }> }) {
  await requireMe('/join');
  const { code } = await searchParams;
  return (
    <>
      <h1>Join a course</h1>
      <p className="muted">Your instructor gives you the course code.</p>
      <JoinForm initialCode={code ?? ''} />
    </>
  );
}
