import 'reflect-metadata';
import { runMain } from '@app/platform';
import { sdrService } from './sdr.definition';

runMain(sdrService);
