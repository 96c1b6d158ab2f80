//! Allocator tuning for the binaries, which use mimalloc as the global allocator.
//!
//! Bulk issuance churns through fresh memory: redb's page buffers for a 200 MB transaction,
//! the signed records, the disclosures. mimalloc (v3) returns freed memory to the kernel after
//! a second, and every later touch of it faults in pages the kernel must zero first: a third of
//! all samples in a 100,000-credential batch. With purging off, a batch of 100,000 runs at
//! 21,600 credentials/s instead of 16,200. The price: the process keeps its peak memory (it is
//! reused, not returned).

/// mimalloc's `mi_option_purge_delay` (v3 `mimalloc.h`; the Rust bindings name no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turns off returning freed memory to the kernel. Call first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is a plain store in mimalloc's option table, valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_index_is_mimalloc_v3_purge_delay() {
        // v3's default purge delay is 1000 ms and no neighbouring option defaults to 1000; if an
        // upgrade renumbers the options, this fails before the wrong option is set.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            let now = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert!(
                now == 1000 || now == -1,
                "option {MI_OPTION_PURGE_DELAY} is {now}"
            );
        }
        keep_freed_memory();
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            -1
        );
    }
}
