import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@app/contracts';
import { IS_PUBLIC } from '@app/platform';
import type { Request } from 'express';
import { type Account, AccountsService } from '../accounts/accounts.service';

/** How a route authenticates: HTTP Basic (the /2fa API) or the second vendor's headers. */
export type AuthScheme = 'basic' | 'api-key';
export const AUTH_SCHEME = 'auth-scheme';
export const UseAuthScheme = (scheme: AuthScheme) => SetMetadata(AUTH_SCHEME, scheme);

export interface AuthenticatedRequest extends Request {
  account: Account;
}

/**
 * Guards every route of the gateway (registered globally): a route is open only when marked
 * `@Public()` (probes, metrics).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const scheme = this.reflector.getAllAndOverride<AuthScheme>(AUTH_SCHEME, targets) ?? 'basic';
    const credentials = scheme === 'basic' ? basicCredentials(request) : apiKeyCredentials(request);
    const account = credentials && (await this.accounts.authenticate(credentials.sid, credentials.token));
    if (!account) throw new DomainError(401);
    request.account = account;
    return true;
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
