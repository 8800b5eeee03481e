// `node --import ./record-imports.mjs`: appends every module URL the program resolves to the file
// named by $RECORD_IMPORTS, so a test can say which code a command loaded.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
