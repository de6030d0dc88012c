'use client';
import { useEffect, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';
const next: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>('system');
  useEffect(() => {
    const saved = localStorage.getItem('holdout-theme');
    if (saved === 'light' || saved === 'dark') setTheme(saved);
  }, []);
  function cycle() {
    const t = next[theme];
    setTheme(t);
    if (t === 'system') {
      localStorage.removeItem('holdout-theme');
      delete document.documentElement.dataset.theme;
    } else {
      localStorage.setItem('holdout-theme', t);
      document.documentElement.dataset.theme = t;
    }
  }
  const label = theme === 'system' ? 'Auto' : theme === 'dark' ? 'Dark' : 'Light';
  return (
    <button type="button" className="btn btn--small" onClick={cycle} title="Switch between automatic, light and dark colours">
      <span aria-hidden="true">{theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}</span>
      <span className="theme-label">Theme: {label}</span>
    </button>
  );
}
