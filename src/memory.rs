//! Giving memory back after a spike of game-server sockets.
//!
//! Each open socket costs about 23 KiB (its read and write buffers, the task, the channel). When
//! thousands close, the emulator frees all of it, but glibc's allocator keeps freed pages that
//! are not at the top of its heaps: the process would stay at its peak size. So once the number
//! of open sockets has fallen to half of its peak (by at least [`TRIM_AFTER`] sockets), the
//! allocator is asked to return its free pages (`malloc_trim`, on a blocking thread). The static
//! container binary links glibc too, so it trims as well; other C libraries (musl) have no such
//! call, and there this is a no-op.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Sockets that must have closed (from the peak) before a trim is worth its cost.
pub const TRIM_AFTER: usize = 256;

/// The most sockets open at once since the last trim.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// A game-server socket opened; `open` are the sockets open now.
pub fn socket_opened(open: usize) {
    PEAK.fetch_max(open, Ordering::Relaxed);
}

/// A game-server socket closed; `open` are the sockets still open.
pub fn socket_closed(open: usize) {
    let peak = PEAK.load(Ordering::Relaxed);
    if !worth_trimming(peak, open) {
        return;
    }
    if PEAK.compare_exchange(peak, open, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
        trim();
    }
}

/// Half the peak gone, and at least [`TRIM_AFTER`] sockets.
fn worth_trimming(peak: usize, open: usize) -> bool {
    peak >= open.saturating_mul(2) && peak - open >= TRIM_AFTER
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    unsafe extern "C" {
        /// glibc: release free memory at the top of the heap and free whole pages inside it.
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    let run = || {
        // SAFETY: malloc_trim only walks the allocator's own free lists under its locks; it takes
        // no pointers from us.
        unsafe { malloc_trim(0) };
    };
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => drop(rt.spawn_blocking(run)),
        Err(_) => run(),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::worth_trimming;

    #[test]
    fn a_trim_waits_for_half_the_peak_and_enough_sockets_gone() {
        assert!(worth_trimming(2000, 0));
        assert!(worth_trimming(2000, 1000));
        assert!(!worth_trimming(2000, 1001), "less than half gone");
        assert!(!worth_trimming(300, 100), "only 200 gone");
        assert!(worth_trimming(256, 0));
        assert!(!worth_trimming(0, 0));
    }
}
