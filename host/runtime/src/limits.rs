//! The memory cap of one instance, remembering when it said no so a trap
//! that follows can be reported as what it was: a memory bomb.

use wasmtime::ResourceLimiter;

/// One allowance covers the guest's linear memory and the frames it asks
/// the host to create, so neither can be used to get around the other.
pub struct MemoryCap {
    pub bytes: usize,
    pub denied: bool,
    /// Current size of the guest's linear memory.
    pub linear: usize,
    /// Bytes of frames the guest created and still holds.
    pub frames: usize,
}

impl MemoryCap {
    pub fn new(bytes: usize) -> MemoryCap {
        MemoryCap {
            bytes,
            denied: false,
            linear: 0,
            frames: 0,
        }
    }

    /// Whether `extra` bytes of frames still fit.
    pub fn frames_fit(&self, extra: usize) -> bool {
        self.linear + self.frames + extra <= self.bytes
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
        let allowed = desired + self.frames <= self.bytes;
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
