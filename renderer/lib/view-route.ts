/** The dashboard's pages, addressed as `#/<name>`. */
export const VIEWS = ['dashboard', 'instances', 'profiles', 'users', 'connections', 'logs', 'settings'] as const;
export type ViewName = (typeof VIEWS)[number];

/** The view a location hash names; unknown or empty hashes mean the dashboard. */
export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'dashboard';
}

export function hashForView(view: ViewName): string {
  return `#/${view}`;
}
