// Mocha root hooks: whatever happens in the tests, the shared systemd sandbox is halted and unmounted.

import { haltSharedSandbox } from './sandbox';

export const mochaHooks = {
  afterAll(): void {
    haltSharedSandbox();
  },
};
