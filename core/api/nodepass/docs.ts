import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { goMarshal } from './go-compat';

/** A Swagger UI file served from the installed swagger-ui-dist package (no CDN). */
export interface DocsAsset {
  type: string;
  body: Buffer;
}

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Names /docs/{asset} serves. */
export const DOCS_ASSETS = Object.keys(ASSETS);

/**
 * The /docs page: NodePass's page with the spec inlined, but the Swagger UI files loaded from
 * `docs/<file>` next to it (relative, so a reverse proxy's path prefix keeps working).
 */
export function swaggerHtml(spec: unknown): string {
  // goMarshal escapes < > & so the spec cannot close the script element.
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>NodePass API</title>
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.onload = () => SwaggerUIBundle({
      spec: ${goMarshal(spec)},
      dom_id: '#swagger-ui',
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>`;
}

/** Loads (once) and returns an asset; null for a name not served. E_INTERNAL-style Error when the package is missing. */
export function createDocsAssets(): (name: string) => Promise<DocsAsset | null> {
  const cache = new Map<string, Promise<DocsAsset>>();
  let dir: string | null = null;
  return async (name) => {
    const type = ASSETS[name];
    if (type === undefined) return null;
    dir ??= swaggerUiDir();
    let hit = cache.get(name);
    if (!hit) {
      hit = readFile(join(dir, name)).then((body) => ({ type, body }));
      hit.catch(() => cache.delete(name));
      cache.set(name, hit);
    }
    return hit;
  };
}

/** Where swagger-ui-dist is installed (node_modules resolution from this file). */
export function swaggerUiDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}
