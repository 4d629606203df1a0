import 'reflect-metadata';
import { runMain } from '@app/platform';
import { allInOneService } from './all-in-one.definition';

runMain(allInOneService);
