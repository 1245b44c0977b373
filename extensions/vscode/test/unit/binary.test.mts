import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkServer, describe, identify } from '../../scripts/binary.mjs';

// Hand-made headers: only the fields identify() reads are set, padded to a few hundred bytes.
function elf(machine: number, { bits = 64, little = true } = {}): Buffer {
  const b = Buffer.alloc(256);
  b.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, little ? 1 : 2, 1], 0);
  b.writeUInt16LE(2, 16); // e_type: executable
  b.writeUInt16LE(machine, 18);
  return b;
}
function macho(cputype: number): Buffer {
  const b = Buffer.alloc(256);
  b.set([0xcf, 0xfa, 0xed, 0xfe], 0);
  b.writeUInt32LE(cputype, 4);
  b.writeUInt32LE(2, 12); // filetype: MH_EXECUTE
  return b;
}

test('binary headers: ELF x86_64 and aarch64', () => {
  assert.deepEqual(identify(elf(0x3e)), { format: 'ELF', arch: 'x86_64' });
  assert.deepEqual(identify(elf(0xb7)), { format: 'ELF', arch: 'aarch64' });
  assert.deepEqual(identify(elf(0x28)), { format: 'ELF', arch: 'machine 0x0028' });
  assert.deepEqual(identify(elf(0x3e, { bits: 32 })), { unsupported: 'a 32-bit ELF file' });
  assert.deepEqual(identify(elf(0x3e, { little: false })), { unsupported: 'a big-endian ELF file' });
  assert.deepEqual(identify(elf(0x3e).subarray(0, 12)), { unsupported: 'a truncated ELF header' });
});

test('binary headers: 64-bit Mach-O x86_64 and arm64', () => {
  assert.deepEqual(identify(macho(0x01000007)), { format: 'Mach-O', arch: 'x86_64' });
  assert.deepEqual(identify(macho(0x0100000c)), { format: 'Mach-O', arch: 'arm64' });
  assert.deepEqual(identify(macho(0x12)), { format: 'Mach-O', arch: 'cputype 0x00000012' });
});

test('binary headers: a fat Mach-O, 32-bit Mach-O and garbage are unsupported', () => {
  const fat = Buffer.alloc(256);
  fat.set([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], 0);
  assert.deepEqual(identify(fat), { unsupported: 'a universal (fat) Mach-O file' });
  assert.deepEqual(identify(Buffer.from([0xce, 0xfa, 0xed, 0xfe, 7, 0, 0, 0])), { unsupported: 'a 32-bit Mach-O file' });
  assert.deepEqual(identify(Buffer.from('#!/bin/sh\necho hi\n')), { unsupported: 'a script (#!), not a compiled executable' });
  assert.deepEqual(identify(Buffer.from('MZ\x90\x00')), { unsupported: 'a Windows (PE) file' });
  assert.deepEqual(identify(Buffer.from('hello, world')), { unsupported: 'not an ELF or Mach-O executable' });
  assert.deepEqual(identify(Buffer.alloc(0)), { unsupported: 'not an ELF or Mach-O executable' });
  assert.deepEqual(identify(new Uint8Array([0x7f, 0x45])), { unsupported: 'not an ELF or Mach-O executable' });
});

test('binary headers: a server is checked against its platform, naming both', () => {
  assert.equal(checkServer('linux-x64', elf(0x3e)), null);
  assert.equal(checkServer('linux-arm64', elf(0xb7)), null);
  assert.equal(checkServer('darwin-x64', macho(0x01000007)), null);
  assert.equal(checkServer('darwin-arm64', macho(0x0100000c)), null);
  assert.equal(checkServer('darwin-arm64', elf(0x3e)), 'server for darwin-arm64 is an ELF x86_64 file, not a Mach-O arm64 one');
  assert.equal(checkServer('linux-x64', elf(0xb7)), 'server for linux-x64 is an ELF aarch64 file, not an ELF x86_64 one');
  assert.equal(checkServer('darwin-x64', macho(0x0100000c)), 'server for darwin-x64 is a Mach-O arm64 file, not a Mach-O x86_64 one');
  assert.match(checkServer('darwin-arm64', Buffer.from([0xca, 0xfe, 0xba, 0xbe])) ?? '', /darwin-arm64 is a universal \(fat\) Mach-O file/);
  assert.throws(() => checkServer('windows-x64', elf(0x3e)), /unknown platform/);
  assert.equal(describe({ format: 'ELF', arch: 'aarch64' }), 'an ELF aarch64 file');
});
