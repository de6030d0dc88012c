import type { Metadata } from 'next';
import { ForgotPasswordForm } from '../_components/PasswordResetForms';

export const metadata: Metadata = { title: 'Forgot your password' };

export default function ForgotPasswordPage() {
  return (
    <>
      <h1>Forgot your password?</h1>
      <p className="muted">We mail you a link to choose a new one; it works once, for an hour.</p>
      <ForgotPasswordForm />
    </>
  );
}
