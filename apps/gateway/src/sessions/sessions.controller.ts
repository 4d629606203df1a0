import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { DomainError, ErrorCode, firstIssue, formatTimestamp, timestamp } from '@app/contracts';
import { APP_CONFIG, ApiOperation, type AppConfig, Public } from '@app/platform';
import type { Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { z } from 'zod';
import { bodyObject } from '../http/body';
import { okWith } from '../http/reply.schemas';
import { clearSessionCookie, sessionCookieOf, setSessionCookie } from './session-cookie';
import { type Session, SessionsService } from './sessions.service';

/** What the console learns about its session: who is signed in, its CSRF token, what the server offers. */
export const SessionData = z
  .object({
    accountSid: z.string(),
    email: z.string(),
    parentAccountSid: z.string().nullable(),
    csrfToken: z.string().meta({ description: 'Send it as `X-CSRF-Token` on every request that changes something.' }),
    idleExpiresAt: timestamp,
    absoluteExpiresAt: timestamp,
    features: z.object({ devOutbox: z.boolean() }),
  })
  .meta({ id: 'ConsoleSession' });
export type SessionData = z.infer<typeof SessionData>;

const SignInBody = z.object({
  accountSid: z.string({ error: 'is required' }).min(1, 'is required'),
  authToken: z.string({ error: 'is required' }).min(1, 'is required'),
});
const SessionOk = okWith(SessionData);

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
  @ApiOperation({
    operationId: 'signIn',
    tag: 'Console session',
    summary: 'Sign the console in',
    description:
      'Sets the session cookie (HttpOnly, SameSite=Strict). Repeated failures from one address are throttled (486).',
    body: SignInBody,
    response: SessionOk,
    errors: [401, 486, 503],
  })
  @Post()
  @Public()
  @HttpCode(200)
  async signIn(
    @Req() req: Request,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ code: 200; message: 'OK'; data: SessionData }> {
    const body = bodyObject(raw);
    const parsed = SignInBody.safeParse(body);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error, body);
      throw new DomainError(ErrorCode.BadRequest, issue.message, { field: issue.field });
    }
    const previous = sessionCookieOf(req);
    const { id, session } = await this.sessions.signIn(
      parsed.data.accountSid.trim(),
      parsed.data.authToken,
      req.ip ?? req.socket.remoteAddress ?? 'unknown',
    );
    // A new sign-in replaces the browser's old session rather than leaving it alive.
    if (previous) await this.sessions.signOut(previous);
    setSessionCookie(res, req, this.config.console, id);
    return { code: 200, message: 'OK', data: this.data(session) };
  }

  @ApiOperation({
    operationId: 'currentSession',
    tag: 'Console session',
    summary: 'The signed-in session',
    description: 'With the session cookie only: HTTP Basic has no session (401).',
    response: SessionOk,
    errors: [],
  })
  @Get()
  current(@Req() req: AuthenticatedRequest): { code: 200; message: 'OK'; data: SessionData } {
    return { code: 200, message: 'OK', data: this.data(sessionOf(req)) };
  }

  @ApiOperation({
    operationId: 'signOut',
    tag: 'Console session',
    summary: 'Sign out',
    description: 'Revokes the session, so a copy of the cookie is useless afterwards.',
    response: z.object({ code: z.literal(200), message: z.literal('OK') }),
    errors: [503],
  })
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
  if (!req.consoleSession) throw new DomainError(ErrorCode.Unauthorized);
  return req.consoleSession;
}
