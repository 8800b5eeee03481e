// The library API: the CLI and the tests use dropship through this file.
export { DropshipError, isDropshipError } from './errors.js';
export { dropshipHome, homePaths, type HomePaths } from './home.js';
