//! The payload's protection: a CRC-24 check (OpenPGP's, RFC 4880), so a
//! damaged read is rejected rather than reported wrong, and a rate-1/3
//! convolutional code (constraint length 7, LTE's generators 133, 171,
//! 165 octal) decoded by soft-decision list Viterbi, so scattered chip
//! errors are corrected.

/// Payload bits.
pub const PAYLOAD_BITS: usize = 64;
/// Check bits.
const CRC_BITS: usize = 24;
/// Bits into the encoder: payload, check, and the zero tail that brings
/// the encoder back to state 0.
const MESSAGE_BITS: usize = PAYLOAD_BITS + CRC_BITS;
const MEMORY: usize = 6;
const STATES: usize = 1 << MEMORY;
const GENERATORS: [u32; 3] = [0o133, 0o171, 0o165];
/// Coded bits a mark carries.
pub const CODED_BITS: usize = 3 * (MESSAGE_BITS + MEMORY);

/// CRC-24/OpenPGP of the payload's 64 bits (most significant first).
fn crc24(payload: u64) -> u32 {
    let mut crc: u32 = 0xB7_04CE;
    for byte in payload.to_be_bytes() {
        crc ^= (byte as u32) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x86_4CFB;
            }
        }
    }
    crc & 0xFF_FFFF
}

/// The encoder's three output bits for input `bit` in `state` (the last
/// six inputs, newest in the top bit), and the next state.
fn step(state: usize, bit: u32) -> ([u8; 3], usize) {
    let register = (bit << MEMORY) | state as u32;
    let out = GENERATORS.map(|g| ((register & g).count_ones() & 1) as u8);
    (out, (register >> 1) as usize)
}

/// The coded bits (0 or 1) for `payload`.
pub fn encode(payload: u64) -> Vec<u8> {
    let crc = crc24(payload);
    let bits = (0..PAYLOAD_BITS)
        .map(|i| (payload >> (63 - i)) as u32 & 1)
        .chain((0..CRC_BITS).map(|i| (crc >> (23 - i)) & 1))
        .chain(std::iter::repeat_n(0, MEMORY));
    let mut state = 0;
    let mut coded = Vec::with_capacity(CODED_BITS);
    for bit in bits {
        let (out, next) = step(state, bit);
        coded.extend_from_slice(&out);
        state = next;
    }
    coded
}

/// Paths the decoder checks against the CRC, best first (list Viterbi:
/// when noise has corrupted the likeliest path, the right one is usually
/// among the next few; each more path tried raises the chance that noise
/// passes the check by 2^-24, counted in [`CRC_PASS`]).
pub const LIST: usize = 16;
/// The chance that noise passes the check on one of the [`LIST`] paths.
pub const CRC_PASS: f64 = LIST as f64 / (1u64 << CRC_BITS) as f64;

/// Decodes soft values (positive for a 1, negative for a 0, larger when
/// surer) into the payload: the likeliest of the [`LIST`] best paths
/// whose check holds.
pub fn decode(soft: &[f32]) -> Option<u64> {
    decode_list(soft, LIST)
}

/// [`decode`] checking the `list` best paths (1..=[`LIST`]).
fn decode_list(soft: &[f32], list: usize) -> Option<u64> {
    let list = list.clamp(1, LIST);
    if soft.len() != CODED_BITS {
        return None;
    }
    let steps = MESSAGE_BITS + MEMORY;
    // Branch outputs for every state and input, once.
    let branch: [[([u8; 3], usize); 2]; STATES] =
        std::array::from_fn(|state| [step(state, 0), step(state, 1)]);
    // The parallel list Viterbi algorithm (Seshadri and Sundberg 1994):
    // each state keeps its LIST best paths, as (metric, back pointer),
    // best first; a back pointer is the input bit, the previous state and
    // the rank there.
    let mut metric = vec![[f32::NEG_INFINITY; LIST]; STATES];
    metric[0][0] = 0.0;
    let mut from = vec![[[(0u8, 0u8, 0u8); LIST]; STATES]; steps];
    let mut candidates: Vec<(f32, (u8, u8, u8))> = Vec::with_capacity(2 * LIST);
    let mut next = vec![[f32::NEG_INFINITY; LIST]; STATES];
    for (t, back) in from.iter_mut().enumerate() {
        let symbols = &soft[3 * t..3 * t + 3];
        // The tail carries zeros only.
        let inputs = if t < MESSAGE_BITS { 2 } else { 1 };
        let gain = |out: &[u8; 3]| -> f32 {
            out.iter()
                .zip(symbols)
                .map(|(&o, &s)| if o == 1 { s } else { -s })
                .sum()
        };
        for row in next.iter_mut() {
            row.fill(f32::NEG_INFINITY);
        }
        // Each state's successors, gathered per target state: a state
        // `to` is reached from the two states that shift into it.
        for (to, slot) in next.iter_mut().enumerate() {
            candidates.clear();
            let bit = (to >> (MEMORY - 1)) & 1;
            if bit == 1 && inputs == 1 {
                continue;
            }
            for low in 0..2 {
                let state = ((to << 1) & (STATES - 1)) | low;
                let (out, target) = branch[state][bit];
                debug_assert_eq!(target, to);
                let g = gain(&out);
                for (rank, &m) in metric[state].iter().enumerate() {
                    if m == f32::NEG_INFINITY {
                        break;
                    }
                    candidates.push((m + g, (bit as u8, state as u8, rank as u8)));
                }
            }
            candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            for (rank, &(m, ptr)) in candidates.iter().take(list).enumerate() {
                slot[rank] = m;
                back[to][rank] = ptr;
            }
        }
        std::mem::swap(&mut metric, &mut next);
    }
    // Trace back each of state 0's paths (the tail ends there), best
    // first, until one passes the check.
    let mut bits = vec![0u8; steps];
    let ends = metric[0][..list]
        .iter()
        .take_while(|m| **m > f32::NEG_INFINITY);
    for start in 0..ends.count() {
        let (mut state, mut rank) = (0usize, start);
        for t in (0..steps).rev() {
            let (bit, prev, prev_rank) = from[t][state][rank];
            bits[t] = bit;
            state = prev as usize;
            rank = prev_rank as usize;
        }
        let word = |range: std::ops::Range<usize>| {
            bits[range].iter().fold(0u64, |acc, &b| acc << 1 | b as u64)
        };
        let payload = word(0..PAYLOAD_BITS);
        if word(PAYLOAD_BITS..MESSAGE_BITS) as u32 == crc24(payload) {
            return Some(payload);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soft(coded: &[u8]) -> Vec<f32> {
        coded
            .iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    #[test]
    fn crc24_matches_the_openpgp_check_value() {
        // CRC-24/OpenPGP of "123456789" is 0x21CF02; ours takes 8 bytes,
        // so check the algorithm on a known 8-byte run instead: all
        // zeros gives the init pushed through 64 zero bits.
        let mut crc: u32 = 0xB7_04CE;
        for _ in 0..64 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x86_4CFB;
            }
        }
        assert_eq!(crc24(0), crc & 0xFF_FFFF);
        assert_ne!(crc24(1), crc24(0));
    }

    #[test]
    fn a_clean_word_decodes() {
        for payload in [0u64, 1, 0xDEAD_BEEF_0123_4567, u64::MAX] {
            let coded = encode(payload);
            assert_eq!(coded.len(), CODED_BITS);
            assert_eq!(decode(&soft(&coded)), Some(payload));
        }
    }

    #[test]
    fn scattered_errors_are_corrected() {
        let payload = 0x0123_4567_89AB_CDEF;
        let mut s = soft(&encode(payload));
        // One coded bit in eight flipped, spread out.
        for i in (0..s.len()).step_by(8) {
            s[i] = -s[i];
        }
        assert_eq!(decode(&s), Some(payload));
    }

    #[test]
    fn the_list_finds_words_the_best_path_misses() {
        // Coded bits with Gaussian noise (Box-Muller on a fixed LCG) at an
        // SNR where plain Viterbi fails often.
        let mut state = 99u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let (mut plain, mut listed) = (0, 0);
        for word in 0..300u64 {
            let payload = word.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let s: Vec<f32> = encode(payload)
                .iter()
                .map(|&b| {
                    let g = (-2.0 * uniform().ln()).sqrt()
                        * (2.0 * std::f64::consts::PI * uniform()).cos();
                    (if b == 1 { 0.9 } else { -0.9 }) + g as f32
                })
                .collect();
            for (list, count) in [(1, &mut plain), (LIST, &mut listed)] {
                if let Some(p) = decode_list(&s, list) {
                    assert_eq!(p, payload, "a wrong payload passed the check");
                    *count += 1;
                }
            }
        }
        println!("read {plain} of 300 with one path, {listed} with {LIST}");
        assert!(listed > plain + 15, "{plain} {listed}");
    }

    #[test]
    fn noise_is_rejected_by_the_check() {
        let mut state = 12345u64;
        let mut accepted = 0;
        for _ in 0..2000 {
            let s: Vec<f32> = (0..CODED_BITS)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
                })
                .collect();
            accepted += decode(&s).is_some() as usize;
        }
        assert_eq!(accepted, 0);
    }
}
