/**
 * The x86_64 syscall allowlist, as plain data. It follows Docker's default profile, kept current
 * with Debian 12's glibc 2.36 and kernel 6.x: reference allowlists that lag new libc calls
 * (statx, openat2, faccessat2, clone3, close_range, rseq, epoll_pwait2) break programs in
 * strange ways, so new calls are added here as the stack's libc starts to use them.
 *
 * Calls with argument filters (clone, clone3, personality, socket, socketpair) are not in this list; profile.ts
 * adds them with their rules.
 */
export const ALLOWED_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  files: [
    'access', 'chdir', 'chmod', 'chown', 'close', 'close_range', 'copy_file_range', 'creat', 'dup', 'dup2',
    'dup3', 'faccessat', 'faccessat2', 'fadvise64', 'fallocate', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2',
    'fchown', 'fchownat', 'fcntl', 'fdatasync', 'flock', 'fstat', 'fstatfs', 'fsync', 'ftruncate', 'getcwd',
    'getdents', 'getdents64', 'lchown', 'link', 'linkat', 'lseek', 'lstat', 'mkdir', 'mkdirat', 'mknod',
    'mknodat', 'name_to_handle_at', 'newfstatat', 'open', 'openat', 'openat2', 'pread64', 'preadv', 'preadv2',
    'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'rename',
    'renameat', 'renameat2', 'rmdir', 'sendfile', 'splice', 'stat', 'statfs', 'statx', 'symlink', 'symlinkat',
    'sync', 'sync_file_range', 'syncfs', 'tee', 'truncate', 'umask', 'unlink', 'unlinkat', 'utime', 'utimensat',
    'utimes', 'futimesat', 'vmsplice', 'write', 'writev', 'chroot', 'cachestat',
  ],
  xattrs: [
    'fgetxattr', 'flistxattr', 'fremovexattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr',
    'lremovexattr', 'lsetxattr', 'removexattr', 'setxattr',
  ],
  polling: [
    'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
    'epoll_wait_old', 'eventfd', 'eventfd2', 'inotify_add_watch', 'inotify_init', 'inotify_init1',
    'inotify_rm_watch', 'fanotify_mark', 'pause', 'poll', 'ppoll', 'pselect6', 'select', 'signalfd', 'signalfd4',
    'timerfd_create', 'timerfd_gettime', 'timerfd_settime', 'pipe', 'pipe2',
  ],
  aio: ['io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_setup', 'io_submit'],
  memory: [
    'brk', 'madvise', 'membarrier', 'memfd_create', 'mincore', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mprotect',
    'mremap', 'msync', 'munlock', 'munlockall', 'munmap', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
    'remap_file_pages', 'map_shadow_stack', 'mseal',
  ],
  processes: [
    'arch_prctl', 'capget', 'capset', 'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'wait4',
    'waitid', 'getcpu', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrusage', 'getsid',
    'gettid', 'get_robust_list', 'set_robust_list', 'get_thread_area', 'set_thread_area', 'set_tid_address',
    'ioprio_get', 'ioprio_set', 'prctl', 'prlimit64', 'getrlimit', 'setrlimit', 'rseq', 'seccomp', 'setpgid',
    'setpriority', 'setsid', 'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max',
    'sched_get_priority_min', 'sched_getscheduler', 'sched_rr_get_interval', 'sched_setaffinity',
    'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'modify_ldt', 'ptrace',
    'process_vm_readv', 'process_vm_writev', 'process_mrelease', 'pidfd_open', 'pidfd_send_signal',
    'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'uname', 'sysinfo', 'times',
  ],
  credentials: [
    'getegid', 'geteuid', 'getgid', 'getgroups', 'getresgid', 'getresuid', 'getuid', 'setfsgid', 'setfsuid',
    'setgid', 'setgroups', 'setregid', 'setresgid', 'setresuid', 'setreuid', 'setuid',
  ],
  signals: [
    'kill', 'tkill', 'tgkill', 'restart_syscall', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask',
    'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_tgsigqueueinfo', 'sigaltstack',
  ],
  time: [
    'alarm', 'clock_getres', 'clock_gettime', 'clock_nanosleep', 'getitimer', 'setitimer', 'gettimeofday',
    'nanosleep', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_settime',
  ],
  sync: ['futex', 'futex_requeue', 'futex_wait', 'futex_waitv', 'futex_wake'],
  ipc: [
    'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedsend', 'mq_unlink', 'msgctl', 'msgget',
    'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'shmat', 'shmctl', 'shmdt', 'shmget',
  ],
  network: [
    'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen', 'recvfrom',
    'recvmmsg', 'recvmsg', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt', 'shutdown',
  ],
  misc: ['getrandom', 'ioctl'],
};

/**
 * Calls the default action refuses with EPERM, and why. Listed so that tests and docs can show
 * that none of them slipped into the allowlist.
 */
export const DENIED_SYSCALLS: Readonly<Record<string, string>> = {
  mount: 'new mounts could uncover masked paths',
  umount2: 'unmounting could uncover what a mount hides',
  move_mount: 'new mount API',
  open_tree: 'new mount API',
  fsopen: 'new mount API',
  fsconfig: 'new mount API',
  fsmount: 'new mount API',
  fspick: 'new mount API',
  mount_setattr: 'new mount API',
  pivot_root: 'changes the root of the mount namespace',
  unshare: 'new namespaces (a user namespace gives back every capability inside it)',
  setns: 'joining other namespaces',
  keyctl: 'the kernel keyring is not namespaced',
  add_key: 'the kernel keyring is not namespaced',
  request_key: 'the kernel keyring is not namespaced',
  bpf: 'loading programs into the kernel',
  userfaultfd: 'a classic kernel exploitation aid',
  perf_event_open: 'leaks kernel addresses and host activity',
  kexec_load: 'replaces the running kernel',
  kexec_file_load: 'replaces the running kernel',
  init_module: 'loads kernel modules',
  finit_module: 'loads kernel modules',
  delete_module: 'unloads kernel modules',
  reboot: 'reboots the host',
  swapon: 'host swap configuration',
  swapoff: 'host swap configuration',
  acct: 'host process accounting',
  io_uring_setup: 'io_uring bypasses seccomp for the calls it submits',
  io_uring_enter: 'io_uring bypasses seccomp for the calls it submits',
  io_uring_register: 'io_uring bypasses seccomp for the calls it submits',
  clock_settime: 'the clock is not namespaced',
  settimeofday: 'the clock is not namespaced',
  clock_adjtime: 'the clock is not namespaced',
  adjtimex: 'the clock is not namespaced',
  sethostname: 'needs CAP_SYS_ADMIN',
  setdomainname: 'needs CAP_SYS_ADMIN',
  quotactl: 'host quota configuration',
  lookup_dcookie: 'needs CAP_SYS_ADMIN',
  open_by_handle_at: 'escapes the mount namespace (the "shocker" exploit)',
  iopl: 'raw I/O port access',
  ioperm: 'raw I/O port access',
  syslog: 'the kernel log is not namespaced',
  vhangup: 'hangs up the host terminal',
  nfsservctl: 'host NFS configuration',
  fanotify_init: 'needs CAP_SYS_ADMIN',
  kcmp: 'compares kernel pointers',
  get_mempolicy: 'host NUMA policy',
  set_mempolicy: 'host NUMA policy',
  mbind: 'host NUMA policy',
  move_pages: 'host NUMA policy',
  migrate_pages: 'host NUMA policy',
  pidfd_getfd: 'steals file descriptors from other processes',
  process_madvise: 'acts on other processes\' memory',
  memfd_secret: 'unmapped kernel memory, not accounted to the cgroup',
  uselib: 'obsolete',
  personality: 'allowed only for the values in profile.ts',
  clone3: 'answers ENOSYS (profile.ts) so libc falls back to clone, whose flags can be filtered',
  socket: 'allowed only for the address families in profile.ts',
  socketpair: 'allowed only for the address families in profile.ts',
  socketcall: 'the i386 multiplexer passes its arguments by pointer, so the family filter could not see them',
};

/** Every allowed call once, in table order. */
export function allowedSyscalls(): string[] {
  return Object.values(ALLOWED_SYSCALLS).flat();
}
