//! The mixer's output pictures. The plugin composes into one of these and
//! it becomes the output buffer's memory as it is: no copy. They are
//! reused, since a fresh allocation of a large picture costs more in page
//! faults than the mix itself.

use std::sync::{Arc, Mutex, Weak};

/// Pictures given back by buffers downstream has finished with.
#[derive(Clone, Default)]
pub struct OutputPool(Arc<Mutex<Vec<Vec<u8>>>>);

/// Most pictures kept for reuse (what an encoder's look-ahead holds is
/// allocated afresh).
const KEPT: usize = 8;

impl OutputPool {
    /// A picture of `size` bytes, holding whatever it held before: give it
    /// to the plugin as `HostFrame::unwritten`, which reads as zeros and
    /// zeroes only what nothing overwrites (so what a plugin leaves
    /// unwritten never depends on which picture came back first).
    pub fn take(&self, size: usize) -> Vec<u8> {
        let reused = {
            let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            kept.iter()
                .position(|v| v.len() == size)
                .map(|i| kept.swap_remove(i))
        };
        reused.unwrap_or_else(|| vec![0; size])
    }

    /// `data` as GStreamer memory that comes back here when released.
    pub fn memory(&self, data: Vec<u8>) -> gst::Memory {
        gst::Memory::from_mut_slice(Pooled {
            data,
            home: Arc::downgrade(&self.0),
        })
    }
}

struct Pooled {
    data: Vec<u8>,
    home: Weak<Mutex<Vec<Vec<u8>>>>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl AsMut<[u8]> for Pooled {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(home) = self.home.upgrade() {
            let mut kept = home.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() < KEPT {
                kept.push(std::mem::take(&mut self.data));
            }
        }
    }
}
