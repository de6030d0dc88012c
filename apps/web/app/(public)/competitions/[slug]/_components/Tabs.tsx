'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useRef } from 'react';

export function Tabs({ tabs }: { tabs: { href: string; label: string }[] }) {
  const path = usePathname();
  // The longest matching prefix is the current tab (so /submissions/123 keeps "My submissions").
  const current = tabs
    .filter((t) => path === t.href || path.startsWith(`${t.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  const active = useRef<HTMLAnchorElement>(null);
  // On a narrow screen the strip scrolls: bring the current tab into view (not the page).
  useEffect(() => {
    const el = active.current;
    const strip = el?.parentElement;
    if (el && strip && strip.scrollWidth > strip.clientWidth) strip.scrollLeft = el.offsetLeft - (strip.clientWidth - el.offsetWidth) / 2;
  }, [current]);
  return (
    <nav className="tabs" aria-label="Competition">
      {tabs.map((t) => (
        <Link key={t.href} href={t.href} aria-current={t.href === current ? 'page' : undefined} ref={t.href === current ? active : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
