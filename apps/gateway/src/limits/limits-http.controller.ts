import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  accountSid,
  CreateLimitCommand,
  LimitData,
  limitSid,
  pageSchema,
  SearchLimitsQuery,
  subAccountsField,
  UpdateLimitCommand,
} from '@app/contracts';
import { NatsRpcClient, ApiOperation } from '@app/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { queryParams } from '../http/query';
import { replyBody } from '../http/reply';
import { okWith } from '../http/reply.schemas';

const actingFor = accountSid.optional().meta({ description: 'Act for this sub-account of yours.' });

/** The HTTP bodies and queries: the limiter's command schemas, less what the gateway fills in. */
const CreateLimitBody = CreateLimitCommand.pick({ name: true, buckets: true, description: true }).extend({
  accountSid: actingFor,
});
const UpdateLimitBody = UpdateLimitCommand.pick({ buckets: true, description: true, name: true });
const SearchLimitsParams = SearchLimitsQuery.omit({ accountSids: true }).extend({
  accountSid: accountSid.optional().meta({ description: "Only this sub-account's limits." }),
  subAccounts: subAccountsField.meta({ description: "Also every sub-account's limits." }),
});
const LimitPath = z.object({ sid: limitSid });
const LimitOk = okWith(LimitData);

const SEARCH_PARAMS = Object.keys(SearchLimitsParams.shape) as (keyof typeof SearchLimitsParams.shape)[];

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

  @ApiOperation({
    operationId: 'createLimit',
    tag: 'Limits',
    summary: 'Create a limit',
    description: 'A named limit of 1–10 buckets; a send names it in `limits` with the key it counts under.',
    body: CreateLimitBody,
    response: LimitOk,
    errors: [403, 457, 492, 503],
  })
  @Post()
  @HttpCode(200)
  async create(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const { accountSid } = await this.accounts.actingAccount(req.account, body.accountSid);
    const command = {
      ...body,
      accountSid,
      accountEmail: accountSid === req.account.sid ? req.account.email : await this.accounts.emailOf(accountSid),
      createdBy: req.account.sid,
      createdByEmail: req.account.email,
    };
    return replyBody(res, await this.rpc.forward('limiter.v1.create', command));
  }

  @ApiOperation({
    operationId: 'updateLimit',
    tag: 'Limits',
    summary: "Change a limit's buckets or description",
    description: 'The name never changes: giving another one is refused.',
    path: LimitPath,
    body: UpdateLimitBody,
    response: LimitOk,
    errors: [457, 493, 503],
  })
  @Put(':sid')
  async update(
    @Req() req: AuthenticatedRequest,
    @Param('sid') sid: string,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const accountSids = await this.ownScope(req);
    return replyBody(res, await this.rpc.forward('limiter.v1.update', { ...body, sid, accountSids }));
  }

  @ApiOperation({
    operationId: 'deleteLimit',
    tag: 'Limits',
    summary: 'Delete a limit',
    description: "Answers the deleted limit. A parent may delete its sub-accounts' limits.",
    path: LimitPath,
    response: LimitOk,
    errors: [457, 493, 503],
  })
  @Delete(':sid')
  async delete(
    @Req() req: AuthenticatedRequest,
    @Param('sid') sid: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('limiter.v1.delete', { sid, accountSids: await this.ownScope(req) }));
  }

  @ApiOperation({
    operationId: 'searchLimits',
    tag: 'Limits',
    summary: 'Search limits',
    description: "Paged in seed 001's envelope; `nextPageUri` keeps the same filters.",
    query: SearchLimitsParams,
    response: okWith(pageSchema(LimitData)),
    errors: [403, 503],
  })
  @Get('search')
  async search(
    @Req() req: AuthenticatedRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const { accountSid, subAccounts, ...params } = queryParams(query, SEARCH_PARAMS);
    const accountSids = await this.accounts.searchScope(req.account, { accountSid, subAccounts });
    return replyBody(res, await this.rpc.forward('limiter.v1.search', { ...params, accountSids }));
  }

  @ApiOperation({
    operationId: 'getLimit',
    tag: 'Limits',
    summary: 'Get a limit',
    path: LimitPath,
    response: LimitOk,
    errors: [493, 503],
  })
  @Get('search/:sid')
  async get(
    @Req() req: AuthenticatedRequest,
    @Param('sid') sid: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('limiter.v1.get', { sid, accountSids: await this.ownScope(req) }));
  }

  /** A single limit is reachable by its account and by that account's parent ("Account can Delete SubAccount Limits"). */
  private ownScope(req: AuthenticatedRequest): Promise<string[]> {
    return this.accounts.searchScope(req.account, { subAccounts: true });
  }
}
