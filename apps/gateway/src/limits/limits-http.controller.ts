import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { CommandInput } from '@app/contracts';
import { NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { queryParams } from '../http/query';
import { sendReply } from '../http/reply';

const SEARCH_PARAMS = [
  'page',
  'pageSize',
  'name',
  'accountSid',
  'subAccounts',
  'startTime',
  'endTime',
  'SortBy',
] as const;

/**
 * `/2fa/limits` (SPEC 3.4, seed 001): the gateway resolves whose limits a call may touch; the
 * limiter validates the rest with the same schemas as for NATS callers.
 */
@Controller('2fa/limits')
export class LimitsHttpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @Post()
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const body = bodyObject(raw);
    const { accountSid } = await this.accounts.actingAccount(req.account, body.accountSid);
    const command = {
      ...body,
      accountSid,
      accountEmail: accountSid === req.account.sid ? req.account.email : await this.accounts.emailOf(accountSid),
      createdBy: req.account.sid,
      createdByEmail: req.account.email,
    } as CommandInput<'limiter.v1.create'>;
    sendReply(res, await this.rpc.request('limiter.v1.create', command));
  }

  @Put(':sid')
  async update(
    @Req() req: AuthenticatedRequest,
    @Param('sid') sid: string,
    @Body() raw: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const body = bodyObject(raw);
    const accountSids = await this.ownScope(req);
    sendReply(
      res,
      await this.rpc.request('limiter.v1.update', { ...body, sid, accountSids } as CommandInput<'limiter.v1.update'>),
    );
  }

  @Delete(':sid')
  async delete(@Req() req: AuthenticatedRequest, @Param('sid') sid: string, @Res() res: Response): Promise<void> {
    sendReply(res, await this.rpc.request('limiter.v1.delete', { sid, accountSids: await this.ownScope(req) }));
  }

  @Get('search')
  async search(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const { accountSid, subAccounts, ...params } = queryParams(query, SEARCH_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    sendReply(
      res,
      await this.rpc.request('limiter.v1.search', { ...params, accountSids } as CommandInput<'limiter.v1.search'>),
    );
  }

  @Get('search/:sid')
  async get(@Req() req: AuthenticatedRequest, @Param('sid') sid: string, @Res() res: Response): Promise<void> {
    sendReply(res, await this.rpc.request('limiter.v1.get', { sid, accountSids: await this.ownScope(req) }));
  }

  /** A single limit is reachable by its account and by that account's parent ("Account can Delete SubAccount Limits"). */
  private ownScope(req: AuthenticatedRequest): Promise<string[]> {
    return this.accounts.searchScope(req.account, { subAccounts: true });
  }
}
