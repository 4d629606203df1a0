import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  accountSid,
  otpRequestId,
  pageSchema,
  SdrData,
  SearchSdrQuery,
  subAccountsField,
  UsageData,
  UsageQuery,
} from '@app/contracts';
import { NatsRpcClient, ApiOperation } from '@app/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { queryParams } from '../http/query';
import { replyBody } from '../http/reply';
import { okWith } from '../http/reply.schemas';

const scope = {
  accountSid: accountSid.optional().meta({ description: "Only this sub-account's records." }),
  subAccounts: subAccountsField.meta({ description: "Also every sub-account's records (destinations masked)." }),
};
/** The HTTP queries: the sdr service's query schemas, less what the gateway fills in. */
const SearchSdrParams = SearchSdrQuery.omit({ accountSids: true, callerSid: true }).extend(scope);
const UsageParams = UsageQuery.omit({ accountSids: true }).extend(scope);
const SEARCH_PARAMS = Object.keys(SearchSdrParams.shape) as (keyof typeof SearchSdrParams.shape)[];
const USAGE_PARAMS = Object.keys(UsageParams.shape) as (keyof typeof UsageParams.shape)[];

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

  @ApiOperation({
    operationId: 'searchRecords',
    tag: 'Records',
    summary: 'Search session records',
    description: "One record per OTP request, newest first by default; paged in seed 001's envelope.",
    query: SearchSdrParams,
    response: okWith(pageSchema(SdrData)),
    errors: [403, 503],
  })
  @Get('sdr/search')
  async search(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const { accountSid, subAccounts, ...params } = queryParams(query, SEARCH_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    return replyBody(
      res,
      await this.rpc.forward('sdr.v1.search', { ...params, accountSids, callerSid: req.account.sid }),
    );
  }

  /** One record: its account's, or its parent's (destination masked); anyone else gets 481 as for an unknown id. */
  @ApiOperation({
    operationId: 'getRecord',
    tag: 'Records',
    summary: 'Get one session record',
    description: 'Every dispatch attempt and every verify, in time order. Never the code.',
    path: z.object({ requestId: otpRequestId }),
    response: okWith(SdrData),
    errors: [481, 503],
  })
  @Get('sdr/search/:requestId')
  async get(
    @Req() req: AuthenticatedRequest,
    @Param('requestId') requestId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const accountSids = await this.accounts.searchScope(req.account, { subAccounts: true });
    return replyBody(res, await this.rpc.request('sdr.v1.get', { requestId, accountSids, callerSid: req.account.sid }));
  }

  @ApiOperation({
    operationId: 'usage',
    tag: 'Records',
    summary: 'Usage per day, month or year',
    description: 'Counts, conversion rate and cost per period (UTC), with the same filters as the record search.',
    query: UsageParams,
    response: okWith(UsageData),
    errors: [403, 503],
  })
  @Get('usage')
  async usage(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const { accountSid, subAccounts, ...params } = queryParams(query, USAGE_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    return replyBody(res, await this.rpc.forward('sdr.v1.usage', { ...params, accountSids }));
  }
}
