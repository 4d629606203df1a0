import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { CommandInput } from '@app/contracts';
import { NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { queryParams } from '../http/query';
import { sendReply } from '../http/reply';

const FILTERS = [
  'service',
  'to',
  'channel',
  'status',
  'deliveryStatus',
  'countryCode',
  'startTime',
  'endTime',
  'accountSid',
  'subAccounts',
] as const;
const SEARCH_PARAMS = [...FILTERS, 'page', 'pageSize', 'SortBy'] as const;
const USAGE_PARAMS = [...FILTERS, 'granularity'] as const;

/**
 * `/2fa/sdr` and `/2fa/usage` (SPEC 3.5): the gateway resolves whose records a call may see,
 * exactly as for the limits search; apps/sdr validates the rest with the NATS schemas.
 */
@Controller('2fa')
export class SdrHttpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @Get('sdr/search')
  async search(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const { accountSid, subAccounts, ...params } = queryParams(query, SEARCH_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    sendReply(
      res,
      await this.rpc.request('sdr.v1.search', {
        ...params,
        accountSids,
        callerSid: req.account.sid,
      } as CommandInput<'sdr.v1.search'>),
    );
  }

  /** One record: its account's, or its parent's (destination masked); anyone else gets 481 as for an unknown id. */
  @Get('sdr/search/:requestId')
  async get(
    @Req() req: AuthenticatedRequest,
    @Param('requestId') requestId: string,
    @Res() res: Response,
  ): Promise<void> {
    const accountSids = await this.accounts.searchScope(req.account, { subAccounts: true });
    sendReply(res, await this.rpc.request('sdr.v1.get', { requestId, accountSids, callerSid: req.account.sid }));
  }

  @Get('usage')
  async usage(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const { accountSid, subAccounts, ...params } = queryParams(query, USAGE_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    sendReply(res, await this.rpc.request('sdr.v1.usage', { ...params, accountSids } as CommandInput<'sdr.v1.usage'>));
  }
}
