import type { RouteMode } from '../../core/rpc';

/** Languages the tray menu is written in ('system' resolves to one of these). */
export type TrayLanguage = 'en' | 'zh-CN';

export interface TrayLabels {
  show: string;
  systemProxy: string;
  routeMode: string;
  modes: Record<RouteMode, string>;
  copyProxyEnv: string;
  autoStart: string;
  quit: string;
  engineDown: string;
}

const LABELS: Record<TrayLanguage, TrayLabels> = {
  en: {
    show: 'Show Dashboard',
    systemProxy: 'System Proxy',
    routeMode: 'Route Mode',
    modes: { global: 'Global', rule: 'Rule', direct: 'Direct' },
    copyProxyEnv: 'Copy Proxy Command',
    autoStart: 'Start at Login',
    quit: 'Quit RelayDesk',
    engineDown: 'engine restarting…',
  },
  'zh-CN': {
    show: '显示面板',
    systemProxy: '系统代理',
    routeMode: '路由模式',
    modes: { global: '全局', rule: '规则', direct: '直连' },
    copyProxyEnv: '复制终端代理命令',
    autoStart: '开机启动',
    quit: '退出 RelayDesk',
    engineDown: '引擎重启中…',
  },
};

export function trayLabels(language: TrayLanguage): TrayLabels {
  return LABELS[language];
}

/** The tray's language from the preference, falling back to the OS locale for 'system'. */
export function resolveLanguage(pref: 'system' | TrayLanguage, osLocale: string): TrayLanguage {
  if (pref !== 'system') return pref;
  return osLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
