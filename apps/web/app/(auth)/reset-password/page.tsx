import type { Metadata } from 'next';
import Link from 'next/link';
import { ResetPasswordForm } from '../_components/PasswordResetForms';

export const metadata: Metadata = { title: 'Choose a new password' };

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const { token } = await searchParams;
  return (
    <>
      <h1>Choose a new password</h1>
      {token ? (
        <ResetPasswordForm token={token} />
      ) : (
        <p>
          This page opens from the link in the password-reset mail. <Link href="/forgot-password">Ask for a link</Link>.
        </p>
      )}
    </>
  );
}
