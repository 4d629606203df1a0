import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { DomainError, emailAddress, firstIssue, nonEmpty, ErrorCode } from '@app/contracts';
import { z } from 'zod';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ApiOperation } from '@app/platform';
import { bodyObject } from '../http/body';
import { okWith } from '../http/reply.schemas';
import { AccountsService, CreatedAccount } from './accounts.service';

const CreateSubAccount = z.object({
  email: emailAddress.meta({ examples: ['team@example.com'] }),
  friendlyName: nonEmpty(64)
    .optional()
    .meta({ examples: ['Checkout team'] }),
});

const CreatedAccountBody = okWith(CreatedAccount);

/** `POST /2fa/accounts`: an account creates a sub-account of its own; `GET /2fa/accounts` lists them. */
@Controller('2fa/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @ApiOperation({
    operationId: 'listAccounts',
    tag: 'Accounts',
    summary: "The caller's sub-accounts",
    description: 'A sub-account has none. Tokens are never shown again.',
    response: okWith(z.array(CreatedAccount.omit({ authToken: true }))),
    errors: [],
  })
  @Get()
  async list(
    @Req() req: AuthenticatedRequest,
  ): Promise<{ code: 200; message: 'OK'; data: Omit<CreatedAccount, 'authToken'>[] }> {
    return { code: 200, message: 'OK', data: await this.accounts.subAccountsOf(req.account.sid) };
  }

  @ApiOperation({
    operationId: 'createAccount',
    tag: 'Accounts',
    summary: 'Create a sub-account',
    description: 'Sub-accounts are one level deep: a sub-account cannot create its own (403).',
    body: CreateSubAccount,
    response: CreatedAccountBody,
    errors: [403],
  })
  @Post()
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Body() raw: unknown): Promise<z.infer<typeof CreatedAccountBody>> {
    const body = bodyObject(raw);
    const parsed = CreateSubAccount.safeParse(body);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error, body);
      throw new DomainError(ErrorCode.BadRequest, issue.message, { field: issue.field });
    }
    // Sub-accounts are one level deep: a sub-account cannot create its own.
    if (req.account.parentSid) throw new DomainError(ErrorCode.Forbidden);
    const data = await this.accounts.create({ ...parsed.data, parentSid: req.account.sid });
    return { code: 200, message: 'OK', data };
  }
}
