//! A small seeded generator (SplitMix64): fits and training are
//! reproducible, so a file job's output never depends on the run.

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..1.
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in 0..n.
    #[cfg(feature = "train")]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A standard normal sample (Box-Muller).
    pub(crate) fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    /// A random orthonormal basis (Gram-Schmidt on normal vectors): its
    /// rows are three perpendicular unit directions.
    pub(crate) fn rotation(&mut self) -> [[f32; 3]; 3] {
        loop {
            let mut rows = [[0.0f32; 3]; 3];
            for row in &mut rows {
                *row = [self.normal(), self.normal(), self.normal()];
            }
            let mut ok = true;
            for i in 0..3 {
                for j in 0..i {
                    let (done, rest) = rows.split_at_mut(i);
                    let d = dot(rest[0], done[j]);
                    for (v, w) in rest[0].iter_mut().zip(done[j]) {
                        *v -= d * w;
                    }
                }
                let len = dot(rows[i], rows[i]).sqrt();
                ok &= len > 1e-3;
                rows[i] = rows[i].map(|v| v / len.max(1e-12));
            }
            if ok {
                return rows;
            }
        }
    }
}

pub(crate) fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
