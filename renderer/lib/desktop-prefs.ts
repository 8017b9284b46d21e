import type { Language, Theme } from '../../core/rpc';
import { isLocale, type Locale } from './locale';

/** The theme options in the order the panel shows them. */
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];
/** The language options in the order the panel shows them. */
export const LANGUAGES: readonly Language[] = ['system', 'en', 'zh-CN'];

/** The colour scheme forced by the preference, or null to follow the system. */
export function forcedScheme(theme: Theme): 'light' | 'dark' | null {
  return theme === 'system' ? null : theme;
}

/** The UI locale the preference asks for, or null to keep the page's own choice. */
export function prefLocale(language: Language): Locale | null {
  return isLocale(language) ? language : null;
}

/** "host:port" for people (IPv6 in brackets), or null while either part is unknown. */
export function proxyAddress(host: string | null, port: number | null): string | null {
  if (!host || port === null) return null;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
