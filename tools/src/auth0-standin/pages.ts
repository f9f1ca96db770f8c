// The stand-in's two HTML pages: GET / (what this tenant is) and the one-button login form.
import { PATHS, type ResolvedOptions } from './config.ts';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** GET / : what this tenant is (the settings docs/auth0-setup.md makes in a real one), every value escaped. */
export function indexPage(o: ResolvedOptions, signingKid: string): string {
  const e = escapeHtml;
  const list = (values: readonly string[]): string =>
    values.length ? values.map((v) => `<code>${e(v)}</code>`).join(' ') : '<em>none</em>';
  const rows: [string, string][] = [
    ['issuer (<code>iss</code>)', `<code>${e(o.issuer)}</code>`],
    ['API identifier (audience)', `<code>${e(o.audience)}</code>, RS256, access tokens ${o.accessTokenTtl} s`],
    ['API permissions', list(o.apiScopes)],
    ['client id', `<code>${e(o.clientId)}</code> (Regular Web Application, client_secret_post)`],
    ['allowed callback URLs', list(o.redirectUris)],
    ['allowed logout URLs', list(o.logoutUrls)],
    ['refresh tokens', `rotation on (reuse revokes the family), lifetime ${o.refreshTokenTtl} s`],
    ['tenant claim', `<code>${e(o.tenantClaim)}</code>`],
    [
      'dev user',
      `<code>${e(o.devUser.sub)}</code> ${e(o.devUser.name)} &lt;${e(o.devUser.email)}&gt;, tenant <code>${e(o.devUser.tenantId)}</code>, permissions ${list(o.devUser.permissions)}${o.autoLogin ? ', logged in without a form' : ''}`,
    ],
    ['signing key', `<code>${e(signingKid)}</code>`],
  ];
  const link = (path: string): string => {
    const href = new URL(path, o.issuer).href;
    return `<a href="${e(href)}">${e(href)}</a>`;
  };
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local Auth0 stand-in</title></head><body>' +
    `<h1>Local Auth0 stand-in</h1><table>${rows.map(([k, v]) => `<tr><th align="left">${k}</th><td>${v}</td></tr>`).join('')}</table>` +
    `<p>Discovery: ${link(PATHS.discovery)}<br>JWKS: ${link(PATHS.jwks)}</p></body></html>`
  );
}

/** The login step of interaction `uid` when autoLogin is off: one button, no fields, posting to .../login. */
export function loginPage(o: ResolvedOptions, uid: string): string {
  const action = `${PATHS.interaction}/${uid}/login`;
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local Auth0 stand-in</title></head><body>` +
    `<form method="post" action="${escapeHtml(action)}"><button type="submit">Log in as ${escapeHtml(o.devUser.email)}</button></form></body></html>`
  );
}
