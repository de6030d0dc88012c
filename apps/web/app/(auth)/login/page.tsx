import type { Metadata } from 'next';
import { AuthForm } from '../_components/AuthForm';

export const metadata: Metadata = { title: 'Sign in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <>
      <h1>Sign in</h1>
      <AuthForm mode="login" next={next ?? '/'} />
    </>
  );
}
