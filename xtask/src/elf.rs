//! Just enough ELF reading to check a deployment binary: its machine, and
//! that it is static (no program interpreter), so it runs on `scratch` and
//! under `qemu-aarch64-static` without a C library.

use anyhow::{bail, ensure};

/// `e_machine` of x86-64.
pub(crate) const X86_64: u16 = 62;
/// `e_machine` of AArch64.
pub(crate) const AARCH64: u16 = 183;
const PT_INTERP: u32 = 3;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The `e_machine` of a 64-bit little-endian ELF file.
pub(crate) fn machine(b: &[u8]) -> anyhow::Result<u16> {
    ensure!(b.get(..4) == Some(b"\x7fELF".as_slice()), "not an ELF file");
    ensure!(b.get(4) == Some(&2) && b.get(5) == Some(&1), "not a 64-bit little-endian ELF file");
    u16_at(b, 0x12).ok_or_else(|| anyhow::anyhow!("truncated ELF header"))
}

/// Fails unless `b` is an ELF executable for `want` without `PT_INTERP`.
pub(crate) fn check_static(b: &[u8], want: u16) -> anyhow::Result<()> {
    let got = machine(b)?;
    ensure!(got == want, "ELF machine {got}, expected {want}");
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(b, 0x20), u16_at(b, 0x36), u16_at(b, 0x38)) else {
        bail!("truncated ELF header");
    };
    for i in 0..usize::from(phnum) {
        let at = usize::try_from(phoff)? + i * usize::from(phentsize);
        if u32_at(b, at) == Some(PT_INTERP) {
            bail!("dynamically linked (has a program interpreter)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 20 bytes of an ELF header: 64-bit, little-endian, `machine`.
    fn header(machine: u16) -> Vec<u8> {
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(18, 0);
        h.extend(machine.to_le_bytes());
        h
    }

    #[test]
    fn reads_the_elf_machine() {
        assert_eq!(machine(&header(AARCH64)).unwrap(), AARCH64);
        assert_eq!(machine(&header(X86_64)).unwrap(), X86_64);
        let mut big_endian = header(AARCH64);
        big_endian[5] = 2;
        assert!(machine(&big_endian).is_err());
        assert!(machine(b"#!/bin/sh\nexec true\n").is_err());
        assert!(machine(b"\x7fELF").is_err());
    }

    #[test]
    fn a_program_interpreter_means_dynamic() {
        // ELF header with one program header (PT_INTERP) right after it.
        let mut b = header(X86_64);
        b.resize(64, 0);
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        let mut with_interp = b.clone();
        with_interp.extend(PT_INTERP.to_le_bytes());
        with_interp.resize(64 + 56, 0);
        assert!(check_static(&with_interp, X86_64).is_err());
        let mut load_only = b;
        load_only.extend(1u32.to_le_bytes());
        load_only.resize(64 + 56, 0);
        assert!(check_static(&load_only, X86_64).is_ok());
        assert!(check_static(&load_only, AARCH64).is_err());
    }
}
