import { createI18n } from 'vue-i18n';
import { pickLocale, type Locale } from './lib/locale';
import en, { type MessageSchema } from './locales/en';
import zhCN from './locales/zh-CN';

declare module 'vue-i18n' {
  // Typed message keys for t() and $t().
  export interface DefineLocaleMessage extends MessageSchema {}
}

const LOCALE_KEY = 'relaydesk.locale';

function savedLocale(): string | null {
  try { return localStorage.getItem(LOCALE_KEY); } catch { return null; }
}

/** The app's i18n instance (Composition API mode); language from the saved choice or navigator. */
export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: pickLocale(savedLocale(), navigator.languages ?? [navigator.language]),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
});
document.documentElement.lang = i18n.global.locale.value;

/** Switches the UI language and remembers the choice. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try { localStorage.setItem(LOCALE_KEY, locale); } catch { /* storage disabled */ }
}
