import 'reflect-metadata';
import { runMain } from '@app/platform';
import { limiterService } from './limiter.definition';

runMain(limiterService);
