//! The memory cap of one instance, remembering when it said no so a trap
//! that follows can be reported as what it was: a memory bomb.

use std::time::Duration;

use wasmtime::ResourceLimiter;

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Plugin instances one process can run at once: every plugin stage holds
/// one, and `reel check` refuses a pipeline that needs more.
pub const MAX_INSTANCES: usize = 128;

/// One allowance covers everything an instance makes the process hold:
/// every linear memory (a component may have one per core module), every
/// table, and what it asks the host to hold for it (frames it creates,
/// LUTs and palettes it uploads), so no one of them can be used to get
/// around the others.
pub struct MemoryCap {
    pub bytes: usize,
    pub denied: bool,
    /// Sum of the sizes of all the instance's linear memories.
    pub linear: usize,
    /// Sum of the sizes of all its tables, at [`TABLE_ELEMENT_BYTES`] each.
    pub tables: usize,
    /// Bytes the host holds for the guest: frames it created, LUTs, palettes.
    pub host_bytes: usize,
}

/// What one table element costs the host (a function reference).
const TABLE_ELEMENT_BYTES: usize = 8;
/// Table elements one table may have (function tables of big guests).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;
/// Memories and tables one instance may have: its share of the pool, so
/// one plugin cannot take the slots others need.
pub const MEMORIES_PER_INSTANCE: usize = 8;
pub const TABLES_PER_INSTANCE: usize = 16;
pub const CORE_INSTANCES_PER_INSTANCE: usize = 16;

impl MemoryCap {
    pub fn new(bytes: usize) -> MemoryCap {
        MemoryCap {
            bytes,
            denied: false,
            linear: 0,
            tables: 0,
            host_bytes: 0,
        }
    }

    /// Everything counted against the cap.
    pub fn used(&self) -> usize {
        self.linear + self.tables + self.host_bytes
    }

    /// Whether `extra` more bytes held by the host still fit.
    pub fn host_fits(&self, extra: usize) -> bool {
        self.used().saturating_add(extra) <= self.bytes
    }

    /// Whether growing something from `current` to `desired` bytes fits;
    /// the growth is counted when it does. Memories and tables are created
    /// with `current` = 0, so the sum covers every one of them.
    fn grow(&mut self, current: usize, desired: usize) -> Option<usize> {
        let extra = desired.saturating_sub(current);
        let allowed = self.used().saturating_add(extra) <= self.bytes;
        self.denied |= !allowed;
        allowed.then_some(extra)
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let extra = self.grow(current, desired);
        if let Some(extra) = extra {
            self.linear += extra;
        }
        Ok(extra.is_some())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            self.denied = true;
            return Ok(false);
        }
        let extra = self.grow(
            current.saturating_mul(TABLE_ELEMENT_BYTES),
            desired.saturating_mul(TABLE_ELEMENT_BYTES),
        );
        if let Some(extra) = extra {
            self.tables += extra;
        }
        Ok(extra.is_some())
    }

    fn instances(&self) -> usize {
        CORE_INSTANCES_PER_INSTANCE
    }

    fn tables(&self) -> usize {
        TABLES_PER_INSTANCE
    }

    fn memories(&self) -> usize {
        MEMORIES_PER_INSTANCE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_covers_the_sum_of_every_memory_and_table() {
        let mut cap = MemoryCap::new(100);
        // Two memories created (current 0) and one grown.
        assert!(cap.memory_growing(0, 40, None).unwrap());
        assert!(cap.memory_growing(0, 40, None).unwrap());
        assert!(!cap.memory_growing(40, 64, None).unwrap(), "would be 124");
        assert!(cap.denied);
        assert_eq!(cap.linear, 80);
        // A table of 3 elements costs 24 bytes: it no longer fits.
        assert!(!cap.table_growing(0, 3, None).unwrap());
        assert!(cap.table_growing(0, 2, None).unwrap());
        assert_eq!(cap.used(), 96);
        assert!(cap.host_fits(4) && !cap.host_fits(5));
    }
}
