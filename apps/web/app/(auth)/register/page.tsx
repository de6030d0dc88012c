import type { Metadata } from 'next';
import { AuthForm } from '../_components/AuthForm';

export const metadata: Metadata = { title: 'Sign up' };

export default async function RegisterPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <>
      <h1>Create your account</h1>
      <p className="muted">Then join your course with the code your instructor gave you.</p>
      <AuthForm mode="register" next={next ?? '/join'} />
    </>
  );
}
