import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { DomainError, formatTimestamp } from '@app/contracts';
import { APP_CONFIG, type AppConfig, Public } from '@app/platform';
import type { Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { clearSessionCookie, sessionCookieOf, setSessionCookie } from './session-cookie';
import { type Session, SessionsService } from './sessions.service';

/** What the console learns about its session: who is signed in, its CSRF token, what the server offers. */
export interface SessionData {
  accountSid: string;
  email: string;
  parentAccountSid: string | null;
  csrfToken: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  features: { devOutbox: boolean };
}

/**
 * `/2fa/session`: the console's sign-in (POST, public), the current session (GET) and sign-out
 * (DELETE, which revokes the session in Redis, so a copy of the cookie is useless after it).
 */
@Controller('2fa/session')
export class SessionsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * Only a JSON body is read (the body parser ignores forms), so another site cannot sign a
   * browser into an account of its choosing with a plain form post.
   */
  @Post()
  @Public()
  @HttpCode(200)
  async signIn(
    @Req() req: Request,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ code: 200; message: 'OK'; data: SessionData }> {
    const body = bodyObject(raw);
    for (const field of ['accountSid', 'authToken'] as const) {
      if (typeof body[field] !== 'string' || !body[field])
        throw new DomainError(400, `${field} is required`, { field });
    }
    const previous = sessionCookieOf(req);
    const { id, session } = await this.sessions.signIn(
      (body.accountSid as string).trim(),
      body.authToken as string,
      req.ip ?? req.socket.remoteAddress ?? 'unknown',
    );
    // A new sign-in replaces the browser's old session rather than leaving it alive.
    if (previous) await this.sessions.signOut(previous);
    setSessionCookie(res, req, this.config.console, id);
    return { code: 200, message: 'OK', data: this.data(session) };
  }

  @Get()
  current(@Req() req: AuthenticatedRequest): { code: 200; message: 'OK'; data: SessionData } {
    return { code: 200, message: 'OK', data: this.data(sessionOf(req)) };
  }

  @Delete()
  async signOut(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ code: 200; message: 'OK' }> {
    sessionOf(req);
    await this.sessions.signOut(sessionCookieOf(req) as string);
    clearSessionCookie(res, req, this.config.console);
    return { code: 200, message: 'OK' };
  }

  private data(session: Session): SessionData {
    return {
      accountSid: session.account.sid,
      email: session.account.email,
      parentAccountSid: session.account.parentSid,
      csrfToken: session.csrfToken,
      idleExpiresAt: formatTimestamp(new Date(session.idleExpiresAt)),
      absoluteExpiresAt: formatTimestamp(new Date(session.absoluteExpiresAt)),
      features: { devOutbox: this.config.devOutbox },
    };
  }
}

/** The session the guard found; a caller with HTTP Basic has none (401, as without credentials). */
function sessionOf(req: AuthenticatedRequest): Session {
  if (!req.consoleSession) throw new DomainError(401);
  return req.consoleSession;
}
