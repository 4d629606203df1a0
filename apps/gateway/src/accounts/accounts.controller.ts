import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { DomainError, emailAddress, firstIssue, nonEmpty } from '@app/contracts';
import { z } from 'zod';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { AccountsService, type CreatedAccount } from './accounts.service';

const CreateSubAccount = z.object({ email: emailAddress, friendlyName: nonEmpty(64).optional() });

/** `POST /2fa/accounts`: an account creates a sub-account of its own; `GET /2fa/accounts` lists them. */
@Controller('2fa/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /** The caller's sub-accounts (a sub-account has none); tokens are never shown again. */
  @Get()
  async list(
    @Req() req: AuthenticatedRequest,
  ): Promise<{ code: 200; message: 'OK'; data: Omit<CreatedAccount, 'authToken'>[] }> {
    return { code: 200, message: 'OK', data: await this.accounts.subAccountsOf(req.account.sid) };
  }

  @Post()
  @HttpCode(200)
  async create(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
  ): Promise<{ code: 200; message: 'OK'; data: CreatedAccount }> {
    const body = bodyObject(raw);
    const parsed = CreateSubAccount.safeParse(body);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error, body);
      throw new DomainError(400, issue.message, { field: issue.field });
    }
    // Sub-accounts are one level deep: a sub-account cannot create its own.
    if (req.account.parentSid) throw new DomainError(403);
    const data = await this.accounts.create({ ...parsed.data, parentSid: req.account.sid });
    return { code: 200, message: 'OK', data };
  }
}
