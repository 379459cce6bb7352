// Where npm install builds native/podgen-start.c (build/src/runtime -> build/native):
// the program that starts a runc container in one exec (see that file). A module of
// its own so that generate can ask for it without loading the runtime.

import * as path from 'node:path';

export const START_HELPER = path.resolve(__dirname, '..', '..', 'native', 'podgen-start');
