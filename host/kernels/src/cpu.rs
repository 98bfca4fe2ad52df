//! Which instruction set the kernels use, detected once at run time.

use std::sync::OnceLock;

/// An instruction-set level this CPU was found to support. Only run-time
/// detection makes one (the level inside is private), so holding a
/// `CpuLevel` proves its fast paths can run here: every `*_with(level, ..)`
/// kernel is safe to call with any value safe code can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuLevel(Isa);

/// The levels, ordered: a level implies those below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Isa {
    /// Plain Rust for the baseline target (x86-64: SSE2).
    Baseline,
    Sse41,
    Avx2,
}

/// The names `REEL_CPU_LEVEL` takes, lowest first.
const NAMES: [(&str, Isa); 3] = [
    ("baseline", Isa::Baseline),
    ("sse4.1", Isa::Sse41),
    ("avx2", Isa::Avx2),
];

impl CpuLevel {
    /// Plain code, which every CPU runs.
    pub const BASELINE: CpuLevel = CpuLevel(Isa::Baseline);

    pub(crate) fn isa(self) -> Isa {
        self.0
    }

    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, isa)| *isa == self.0)
            .map_or("baseline", |(name, _)| name)
    }

    /// The best level this CPU supports.
    pub fn supported() -> CpuLevel {
        #[cfg(target_arch = "x86_64")]
        {
            // The AVX2 level also runs SSE4.1 rows (its chroma conversion):
            // both must be there.
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("sse4.1")
            {
                return CpuLevel(Isa::Avx2);
            }
            if std::arch::is_x86_feature_detected!("sse4.1") {
                return CpuLevel(Isa::Sse41);
            }
        }
        CpuLevel::BASELINE
    }

    /// Every level this CPU can run, lowest first (for tests and benchmarks).
    pub fn all_supported() -> Vec<CpuLevel> {
        NAMES
            .iter()
            .map(|(_, isa)| CpuLevel(*isa))
            .filter(|l| *l <= CpuLevel::supported())
            .collect()
    }

    /// The supported level, lowered (never raised) to the one named by
    /// `REEL_CPU_LEVEL` (`baseline`, `sse4.1` or `avx2`) to test or compare
    /// paths. A name that is none of these is an error.
    pub fn configured() -> Result<CpuLevel, String> {
        let supported = CpuLevel::supported();
        match std::env::var("REEL_CPU_LEVEL") {
            Err(std::env::VarError::NotPresent) => Ok(supported),
            Ok(name) if name.is_empty() => Ok(supported),
            Ok(name) => match NAMES.iter().find(|(n, _)| *n == name) {
                Some((_, isa)) => Ok(CpuLevel(*isa).min(supported)),
                None => Err(format!(
                    "REEL_CPU_LEVEL=`{name}` is not one of baseline, sse4.1, avx2"
                )),
            },
            Err(_) => Err("REEL_CPU_LEVEL is not valid text".to_string()),
        }
    }

    /// The level the kernels use: [`CpuLevel::configured`], or the
    /// baseline when `REEL_CPU_LEVEL` is wrong (hosts report that error
    /// when they start: `reel_runtime::Runtime::new` refuses it).
    pub fn active() -> CpuLevel {
        static ACTIVE: OnceLock<CpuLevel> = OnceLock::new();
        *ACTIVE.get_or_init(|| CpuLevel::configured().unwrap_or(CpuLevel::BASELINE))
    }
}
