import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AccountData, SessionData } from './api/types';

export interface ConsoleContext {
  session: SessionData;
  /** The signed-in account's sub-accounts (empty for a sub-account). */
  subAccounts: AccountData[];
  reloadSubAccounts: () => void;
  /** Whether the server has the fraud guard (GET /2fa/fraud/settings answers); undefined while asking. */
  fraudGuard: boolean | undefined;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const context = useContext(Console);
  if (!context) throw new Error('useConsole outside the signed-in console');
  return context;
}
