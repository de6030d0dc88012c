import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import { headers } from 'next/headers';
import './globals.css';
import { getMe, isStaff } from '@/lib/api';
import { ThemeToggle } from './_components/ThemeToggle';
import { LogoutButton } from './_components/LogoutButton';
import { NotificationBell } from './_components/NotificationBell';

export const metadata: Metadata = {
  title: { default: 'Holdout', template: '%s · Holdout' },
  description: 'Image-segmentation competitions for courses',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

// Applies the saved theme before first paint (no flash of the wrong theme).
const themeScript = `try{var t=localStorage.getItem('holdout-theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}`;

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const me = await getMe();
  const nonce = (await headers()).get('x-nonce') ?? undefined; // set by proxy.ts with the page's CSP
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="site-header__inner">
            <Link href="/" className="brand">
              <span className="brand__mark" aria-hidden="true" />
              Holdout
            </Link>
            <nav className="site-nav" aria-label="Main">
              <Link href="/competitions">Competitions</Link>
              {me && <Link href="/join">Join a course</Link>}
              {me && (isStaff(me) || me.canCreateCourses) && <Link href="/console">{isStaff(me) ? 'Instructor console' : 'Teach'}</Link>}
            </nav>
            <div className="site-user">
              <ThemeToggle />
              {me ? (
                <>
                  <span className="muted small whoami" data-testid="whoami">
                    {me.displayName}
                  </span>
                  <NotificationBell key={me.id} />
                  <LogoutButton />
                </>
              ) : (
                <>
                  <Link href="/login" className="btn btn--small">
                    Sign in
                  </Link>
                  <Link href="/register" className="btn btn--small btn--primary">
                    Sign up
                  </Link>
                </>
              )}
            </div>
          </div>
        </header>
        <main id="main">{children}</main>
        <footer className="site-footer">Holdout — competitions for image segmentation courses</footer>
      </body>
    </html>
  );
}
