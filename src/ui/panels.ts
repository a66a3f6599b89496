/**
 * The Verify, History and Servers pages. Each is backed by a service of its own (verify and
 * log over git history; servers and sync over .hako/servers.json and the agents); a build
 * without that service says so instead of showing anything made up.
 */
import type { ServiceContext } from '../services/context.js';
import { HakoError } from '../core/errors.js';
import { html, notice, type Html } from './html.js';
import { CSRF_FIELD } from './security.js';

/** A POST's form fields (the CSRF token already checked). */
export type Form = Record<string, string>;

export interface Panels {
  verifyPage(ctx: ServiceContext, csrf: string): Promise<Html>;
  runVerify(ctx: ServiceContext, form: Form): Promise<void>;
  historyPage(ctx: ServiceContext, query: { name?: string; env?: string }): Promise<Html>;
  serversPage(ctx: ServiceContext, csrf: string): Promise<Html>;
  runSync(ctx: ServiceContext, form: Form): Promise<void>;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />`;
}

function unavailable(what: string, cli: string): Html {
  return notice(
    'info',
    'Not available in this build',
    html`${what} is not part of this build of hako yet, so this page has nothing to show. Nothing here is a placeholder made to look real.
    (<code>${cli}</code>)`,
  );
}

function notBuilt(what: string): never {
  throw new HakoError('E_USAGE', `${what} is not available in this build of hako`, 'update hako');
}

export function makePanels(): Panels {
  return {
    verifyPage: async () => unavailable('Verification of the secrets file and its history', 'hako verify'),
    runVerify: async () => notBuilt('verify'),
    historyPage: async () => unavailable('The history of secret changes', 'hako log'),
    serversPage: async () => unavailable('Servers and sync', 'hako sync'),
    runSync: async () => notBuilt('sync'),
  };
}
