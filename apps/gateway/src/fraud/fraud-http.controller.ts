import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  accountSid,
  countryCodeField,
  FraudBlockData,
  fraudBlockId,
  fraudSafeListId,
  FraudSettingsData,
  GeoPermissionData,
  SafeListEntryData,
  SafeListEntryFields,
  UpdateFraudSettingsCommand,
  UpdateGeoPermissionCommand,
} from '@app/contracts';
import { ApiOperation, NatsRpcClient } from '@app/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { bodyObject } from '../http/body';
import { queryParams } from '../http/query';
import { replyBody } from '../http/reply';
import { okWith } from '../http/reply.schemas';

const actingFor = accountSid.optional().meta({ description: 'Act for this sub-account of yours.' });

/** The HTTP bodies, queries and paths: the limiter's command schemas, less what the gateway fills in. */
const ActingQuery = z.object({ accountSid: actingFor });
const SettingsBody = UpdateFraudSettingsCommand.omit({ accountSid: true }).extend({ accountSid: actingFor });
const GeoBody = UpdateGeoPermissionCommand.pick({ sms: true, call: true }).extend({ accountSid: actingFor });
const GeoPath = z.object({ countryCode: countryCodeField });
const SafeListBody = SafeListEntryFields.extend({ accountSid: actingFor }).meta({
  description: 'Exactly one of `number` and `prefix`; at most one of `expiresAt` and `ttl`.',
});
const SafeListPath = z.object({ id: fraudSafeListId });
const BlockPath = z.object({ id: fraudBlockId });
const TAG = 'Fraud guard';

/**
 * `/2fa/fraud/*` (SPEC 12): the fraud guard's settings, geo permissions, safe list and blocks of
 * the caller, or of one of its sub-accounts named by `accountSid` (in the query or the body),
 * as for limits. The limiter validates the rest with the same schemas as for NATS callers.
 */
@Controller('2fa/fraud')
export class FraudHttpController {
  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly accounts: AccountsService,
  ) {}

  @ApiOperation({
    operationId: 'getFraudSettings',
    tag: TAG,
    summary: "The fraud guard's settings",
    description: 'Mode, level and bypass of the account (the defaults until changed).',
    query: ActingQuery,
    response: okWith(FraudSettingsData),
    errors: [403, 503],
  })
  @Get('settings')
  async settings(
    @Req() req: AuthenticatedRequest,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('fraud.v1.settings.get', { accountSid: await this.acting(req, q) }));
  }

  @ApiOperation({
    operationId: 'updateFraudSettings',
    tag: TAG,
    summary: "Change the fraud guard's settings",
    description: 'Only the fields given change. `monitor` decides and records without refusing.',
    body: SettingsBody,
    response: okWith(FraudSettingsData),
    errors: [403, 457, 503],
  })
  @Put('settings')
  async updateSettings(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const command = { ...body, accountSid: await this.acting(req, body) };
    return replyBody(res, await this.rpc.forward('fraud.v1.settings.put', command));
  }

  @ApiOperation({
    operationId: 'listFraudGeoPermissions',
    tag: TAG,
    summary: 'Geo permissions',
    description: "The account's own permissions per country and channel, and the operator's blocked countries.",
    query: ActingQuery,
    response: okWith(z.array(GeoPermissionData)),
    errors: [403, 503],
  })
  @Get('geo-permissions')
  async geo(
    @Req() req: AuthenticatedRequest,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('fraud.v1.geo.list', { accountSid: await this.acting(req, q) }));
  }

  @ApiOperation({
    operationId: 'updateFraudGeoPermission',
    tag: TAG,
    summary: "Allow or block a country's sms and calls",
    description: 'A channel not given keeps its permission. The country code is ISO 3166-1 alpha-2, any case.',
    path: GeoPath,
    body: GeoBody,
    response: okWith(GeoPermissionData),
    errors: [403, 457, 503],
  })
  @Put('geo-permissions/:countryCode')
  async updateGeo(
    @Req() req: AuthenticatedRequest,
    @Param('countryCode') countryCode: string,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const command = { ...body, countryCode, accountSid: await this.acting(req, body) };
    return replyBody(res, await this.rpc.forward('fraud.v1.geo.put', command));
  }

  @ApiOperation({
    operationId: 'listFraudSafeList',
    tag: TAG,
    summary: 'The safe list',
    description: 'Numbers and prefixes the guard lets through unchecked (expired entries are left out).',
    query: ActingQuery,
    response: okWith(z.array(SafeListEntryData)),
    errors: [403, 503],
  })
  @Get('safe-list')
  async safeList(
    @Req() req: AuthenticatedRequest,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('fraud.v1.safelist.list', { accountSid: await this.acting(req, q) }));
  }

  @ApiOperation({
    operationId: 'addFraudSafeListEntry',
    tag: TAG,
    summary: 'Add a number or prefix to the safe list',
    description: 'Sends to it pass the guard unchecked and count nothing, until it expires or is deleted.',
    body: SafeListBody,
    response: okWith(SafeListEntryData),
    errors: [403, 457, 503],
  })
  @Post('safe-list')
  @HttpCode(200)
  async addSafe(
    @Req() req: AuthenticatedRequest,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    const body = bodyObject(raw);
    const command = { ...body, accountSid: await this.acting(req, body) };
    return replyBody(res, await this.rpc.forward('fraud.v1.safelist.add', command));
  }

  @ApiOperation({
    operationId: 'deleteFraudSafeListEntry',
    tag: TAG,
    summary: 'Delete a safe-list entry',
    description: 'Answers the deleted entry.',
    path: SafeListPath,
    query: ActingQuery,
    response: okWith(SafeListEntryData),
    errors: [403, 457, 482, 503],
  })
  @Delete('safe-list/:id')
  async deleteSafe(
    @Req() req: AuthenticatedRequest,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(
      res,
      await this.rpc.request('fraud.v1.safelist.delete', { id, accountSid: await this.acting(req, q) }),
    );
  }

  @ApiOperation({
    operationId: 'listFraudBlocks',
    tag: TAG,
    summary: 'Active blocks',
    description: 'Scopes the guard refuses now: scope, reason, the counters that tripped it and until when.',
    query: ActingQuery,
    response: okWith(z.array(FraudBlockData)),
    errors: [403, 503],
  })
  @Get('blocks')
  async blocks(
    @Req() req: AuthenticatedRequest,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(res, await this.rpc.request('fraud.v1.blocks.list', { accountSid: await this.acting(req, q) }));
  }

  @ApiOperation({
    operationId: 'unblockFraudBlock',
    tag: TAG,
    summary: 'Unblock',
    description: 'Lifts the block at once and answers it; its scope starts again from empty counters.',
    path: BlockPath,
    query: ActingQuery,
    response: okWith(FraudBlockData),
    errors: [403, 457, 482, 503],
  })
  @Delete('blocks/:id')
  async unblock(
    @Req() req: AuthenticatedRequest,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<object> {
    return replyBody(
      res,
      await this.rpc.request('fraud.v1.blocks.delete', { id, accountSid: await this.acting(req, q) }),
    );
  }

  private async acting(req: AuthenticatedRequest, source: Record<string, unknown>): Promise<string> {
    const { accountSid } = queryParams(source, ['accountSid'] as const);
    return (await this.accounts.actingAccount(req.account, accountSid)).accountSid;
  }
}
