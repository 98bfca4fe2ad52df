//! Which instruction set the kernels use, detected once at run time.

use std::sync::OnceLock;

/// Instruction-set levels, ordered: a level implies those below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CpuLevel {
    /// Plain Rust for the baseline target (x86-64: SSE2).
    Baseline,
    Sse41,
    Avx2,
}

impl CpuLevel {
    pub fn name(self) -> &'static str {
        match self {
            CpuLevel::Baseline => "baseline",
            CpuLevel::Sse41 => "sse4.1",
            CpuLevel::Avx2 => "avx2",
        }
    }

    /// The best level this CPU supports.
    pub fn supported() -> CpuLevel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                return CpuLevel::Avx2;
            }
            if std::arch::is_x86_feature_detected!("sse4.1") {
                return CpuLevel::Sse41;
            }
        }
        CpuLevel::Baseline
    }

    /// Every level this CPU can run, lowest first (for tests and benchmarks).
    pub fn all_supported() -> Vec<CpuLevel> {
        [CpuLevel::Baseline, CpuLevel::Sse41, CpuLevel::Avx2]
            .into_iter()
            .filter(|l| *l <= CpuLevel::supported())
            .collect()
    }

    /// The level the kernels use: the supported one, lowered (never raised)
    /// by `REEL_CPU_LEVEL=baseline|sse4.1|avx2` to test or compare paths.
    pub fn active() -> CpuLevel {
        static ACTIVE: OnceLock<CpuLevel> = OnceLock::new();
        *ACTIVE.get_or_init(|| {
            let supported = CpuLevel::supported();
            let wanted = match std::env::var("REEL_CPU_LEVEL").as_deref() {
                Ok("baseline") => CpuLevel::Baseline,
                Ok("sse4.1") => CpuLevel::Sse41,
                _ => supported,
            };
            wanted.min(supported)
        })
    }
}

/// Defines a row kernel once and compiles it three times: for the baseline
/// target, with SSE4.1 and with AVX2 enabled, so the compiler vectorises
/// each body for that instruction set. The generated function takes the
/// [`CpuLevel`] to run first.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name(level: $crate::cpu::CpuLevel, $($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) { body($($arg),*) }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "sse4.1")]
            fn sse41($($arg: $ty),*) { body($($arg),*) }

            match level {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: a level above Baseline is only ever built from
                // run-time detection (`CpuLevel::supported` caps it).
                $crate::cpu::CpuLevel::Avx2 => unsafe { avx2($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above, SSE4.1 was detected.
                $crate::cpu::CpuLevel::Sse41 => unsafe { sse41($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

pub(crate) use multiversion;
