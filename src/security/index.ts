export * from './idmap.js';
export * from './capabilities.js';
export * from './masked-paths.js';
export * from './apparmor.js';
export * from './seccomp/profile.js';
export { ALLOWED_SYSCALLS, DENIED_SYSCALLS, allowedSyscalls } from './seccomp/syscalls.js';
