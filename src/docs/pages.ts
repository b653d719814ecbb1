/**
 * The two docs pages. Every URL in them is relative (`openapi.json`, `docs/assets/...`), so the
 * pages work wherever the app is mounted (`parent.route('/cron', app)`) or proxied.
 */

const ASSETS = 'docs/assets'

export function swaggerPage(title: string): string {
  // validatorUrl "none": Swagger UI would otherwise send the spec to validator.swagger.io.
  const config = {
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: 'none',
    persistAuthorization: true,
    displayRequestDuration: true,
  }
  return page(
    `${title} · Swagger UI`,
    `<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">`,
    `<div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle(${JSON.stringify(config)})</script>`,
  )
}

export function redocPage(title: string): string {
  return page(
    `${title} · ReDoc`,
    '<style>body { margin: 0; padding: 0 }</style>',
    `<redoc spec-url="openapi.json" path-in-middle-panel="true"></redoc>
<script src="${ASSETS}/redoc.standalone.js"></script>`,
  )
}

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" type="image/png" sizes="32x32" href="${ASSETS}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${ASSETS}/favicon-16x16.png">
${head}
</head>
<body>
${body}
</body>
</html>
`
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
