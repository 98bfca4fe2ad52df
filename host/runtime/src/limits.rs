//! The memory cap of one instance, remembering when it said no so a trap
//! that follows can be reported as what it was: a memory bomb.

use wasmtime::ResourceLimiter;

/// One allowance covers the guest's linear memory and what it asks the host
/// to hold for it (frames it creates, LUTs it uploads), so neither can be
/// used to get around the other.
pub struct MemoryCap {
    pub bytes: usize,
    pub denied: bool,
    /// Current size of the guest's linear memory.
    pub linear: usize,
    /// Bytes the host holds for the guest: frames it created, LUTs.
    pub host_bytes: usize,
}

impl MemoryCap {
    pub fn new(bytes: usize) -> MemoryCap {
        MemoryCap {
            bytes,
            denied: false,
            linear: 0,
            host_bytes: 0,
        }
    }

    /// Whether `extra` more bytes held by the host still fit.
    pub fn host_fits(&self, extra: usize) -> bool {
        self.linear + self.host_bytes + extra <= self.bytes
    }
}

/// Table elements one instance may have (function tables of big guests).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired + self.host_bytes <= self.bytes;
        self.denied |= !allowed;
        if allowed {
            self.linear = desired;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        8
    }
}
