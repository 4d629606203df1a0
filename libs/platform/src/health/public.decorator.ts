import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'is-public';
/** Marks a route that needs no credentials (probes, metrics). Every other route is guarded. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
