import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, ErrorCode } from '@app/contracts';
import { IS_PUBLIC } from '@app/platform';
import type { Request } from 'express';
import { type Account, AccountsService } from '../accounts/accounts.service';
import { AuthCache } from './auth-cache';
import { sessionCookieOf } from '../sessions/session-cookie';
import { csrfTokenMatches, type Session, SessionsService } from '../sessions/sessions.service';

/** How a route authenticates: HTTP Basic (the /2fa API) or the second vendor's headers. */
export type AuthScheme = 'basic' | 'api-key';
export const AUTH_SCHEME = 'auth-scheme';
export const UseAuthScheme = (scheme: AuthScheme) => SetMetadata(AUTH_SCHEME, scheme);

export interface AuthenticatedRequest extends Request {
  account: Account;
  /** Set when the caller is the console, signed in with a session cookie. */
  consoleSession?: Session;
}

/** The header that carries a console session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing; every other one needs the CSRF token when a session cookie authenticates it. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every route of the gateway (registered globally): a route is open only when marked
 * `@Public()` (probes, metrics). The /2fa API takes HTTP Basic, or the console's session
 * cookie (SPEC 11) when no Authorization header is sent; a mutating request made with the
 * cookie must also carry the session's CSRF token, so another site cannot make the browser act.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsService,
    private readonly sessions: SessionsService,
    private readonly cache: AuthCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const scheme = this.reflector.getAllAndOverride<AuthScheme>(AUTH_SCHEME, targets) ?? 'basic';
    const cookie = scheme === 'basic' && !request.headers.authorization ? sessionCookieOf(request) : undefined;
    if (cookie !== undefined) {
      const session = await this.sessions.resume(cookie);
      if (!session) throw new DomainError(ErrorCode.Unauthorized);
      if (!SAFE_METHODS.has(request.method) && !csrfTokenMatches(session, request.headers[CSRF_HEADER])) {
        throw new DomainError(ErrorCode.CsrfTokenInvalid);
      }
      request.account = session.account;
      request.consoleSession = session;
      return true;
    }
    const credentials = scheme === 'basic' ? basicCredentials(request) : apiKeyCredentials(request);
    const account = credentials && (await this.authenticate(credentials.sid, credentials.token));
    if (!account) throw new DomainError(ErrorCode.Unauthorized);
    request.account = account;
    return true;
  }

  /** From the short-lived cache, or the database (whose answer, when it accepts, is cached). */
  private async authenticate(sid: string, token: string): Promise<Account | undefined> {
    const cached = this.cache.get(sid, token);
    if (cached) return cached;
    const account = await this.accounts.authenticate(sid, token);
    if (account) this.cache.put(sid, token, account);
    return account;
  }
}

function basicCredentials(request: Request): { sid: string; token: string } | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  return { sid: decoded.slice(0, colon).trim(), token: decoded.slice(colon + 1) };
}

function apiKeyCredentials(request: Request): { sid: string; token: string } | undefined {
  const sid = request.headers['api-login'];
  const token = request.headers['api-key'];
  return typeof sid === 'string' && typeof token === 'string' ? { sid: sid.trim(), token } : undefined;
}
