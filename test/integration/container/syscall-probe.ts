import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A 150-byte static x86_64 program that makes one raw syscall and exits with its errno (0 when
 * it succeeded): the stack's busybox has no keyctl, bpf or clone3, and the seccomp profile must
 * be tested with calls made exactly as given, with no libc fallback in between.
 */
function probeElf(nr: number, args: number[]): Buffer {
  // 32-bit moves zero-extend, as a C caller passes an unsigned int (personality(0xffffffff)).
  const regs = [
    [0xbf], // mov edi, imm32
    [0xbe], // mov esi, imm32
    [0xba], // mov edx, imm32
    [0x41, 0xba], // mov r10d, imm32
    [0x41, 0xb8], // mov r8d, imm32
  ];
  const imm = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    return [...b];
  };
  const code = [
    0xb8, ...imm(nr), // mov eax, nr
    ...regs.flatMap((op, i) => [...op, ...imm(args[i] ?? 0)]),
    0x0f, 0x05, // syscall
    0x48, 0x85, 0xc0, // test rax, rax
    0x78, 0x02, // js +2
    0x31, 0xc0, // xor eax, eax
    0xf7, 0xd8, // neg eax
    0x89, 0xc7, // mov edi, eax
    0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
    0x0f, 0x05, // syscall
  ];
  return elfWith(code);
}

/** A static ELF64 executable whose one loadable segment is `code`. */
function elfWith(code: number[]): Buffer {
  const base = 0x400000;
  const headerSize = 64 + 56;
  const elf = Buffer.alloc(headerSize + code.length);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF64, little endian, SysV
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // x86_64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(BigInt(base + headerSize), 24); // entry
  elf.writeBigUInt64LE(64n, 32); // program headers
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(1, 56);
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(5, 68); // R+X
  elf.writeBigUInt64LE(BigInt(base), 80);
  elf.writeBigUInt64LE(BigInt(base), 88);
  elf.writeBigUInt64LE(BigInt(elf.length), 96);
  elf.writeBigUInt64LE(BigInt(elf.length), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  elf.set(code, headerSize);
  return elf;
}

/**
 * A static program that exits 77 when its effective uid is `hostUid` and 33 otherwise: run by a
 * host user, 77 means a setuid bit gave it the container's host uid.
 */
export function euidProbeElf(hostUid: number): Buffer {
  const imm = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    return [...b];
  };
  return elfWith([
    0xb8, 107, 0, 0, 0, // mov eax, 107 (geteuid)
    0x0f, 0x05, // syscall
    0x3d, ...imm(hostUid), // cmp eax, hostUid
    0xbf, 33, 0, 0, 0, // mov edi, 33
    0x75, 0x05, // jne +5
    0xbf, 77, 0, 0, 0, // mov edi, 77
    0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
    0x0f, 0x05, // syscall
  ]);
}

export const SYSCALL = { mount: 165, unshare: 272, keyctl: 250, add_key: 248, bpf: 321, clone3: 435, getpid: 39, personality: 135, socket: 41, socketpair: 53 } as const;

/** Write one probe per name into a fresh directory (to bind-mount read-only into containers). */
export async function writeProbes(probes: Record<string, { nr: number; args?: number[] }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-probe-'));
  await chmod(dir, 0o755);
  for (const [name, { nr, args }] of Object.entries(probes)) {
    await writeFile(join(dir, name), probeElf(nr, args ?? []), { mode: 0o755 });
  }
  return dir;
}
