import type { AppConfig } from '@app/platform';
import type { Request, Response } from 'express';

/**
 * The console's session cookie. Over HTTPS it carries the `__Host-` prefix, which browsers
 * accept only with Secure, Path=/ and no Domain, so a sibling subdomain cannot plant one.
 */
/** The session cookie's name (with the `__Host-` prefix over HTTPS). */
export const SESSION_COOKIE_NAME = 'smart2fa_session';
const NAME = SESSION_COOKIE_NAME;
const SECURE_NAME = `__Host-${NAME}`;

/** The session id the request's cookie carries, if any. */
export function sessionCookieOf(request: Request): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === NAME || name === SECURE_NAME) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the request came over HTTPS, directly or through a proxy that says so. */
function overHttps(request: Request): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim();
  return request.secure || proto === 'https';
}

function secureFor(request: Request, config: AppConfig['console']): boolean {
  return config.cookieSecure === 'auto' ? overHttps(request) : config.cookieSecure === 'true';
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure behind HTTPS. */
export function setSessionCookie(res: Response, request: Request, config: AppConfig['console'], id: string): void {
  const secure = secureFor(request, config);
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${config.absoluteTimeoutSeconds}`];
  if (secure) attributes.push('Secure');
  res.append('Set-Cookie', `${secure ? SECURE_NAME : NAME}=${id}; ${attributes.join('; ')}`);
}

export function clearSessionCookie(res: Response, request: Request, config: AppConfig['console']): void {
  const secure = secureFor(request, config);
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0'];
  if (secure) attributes.push('Secure');
  res.append('Set-Cookie', `${secure ? SECURE_NAME : NAME}=; ${attributes.join('; ')}`);
}
