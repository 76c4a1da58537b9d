//! How a file of a given size is uploaded: one PUT, or parts of which size.

use crate::config::limits::{MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE};
pub use crate::models::UploadMode as Mode;

/// The parts of one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPlan {
    /// Single or multipart.
    pub mode: Mode,
    /// The file's size.
    pub size: u64,
    /// Size of every part but the last (the whole file when single).
    pub part_size: u64,
    /// How many parts.
    pub part_count: u32,
}

/// A size no plan fits: more than 10,000 parts of 5 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} bytes do not fit in 10,000 parts of 5 GiB")]
pub struct TooLargeToPlan(pub u64);

const MIB: u64 = 1 << 20;

impl UploadPlan {
    /// Plans `size` bytes: single below `threshold`, else parts of `preferred_part_size`,
    /// raised (to a whole MiB) until at most 10,000 parts, within 5 MiB..=5 GiB.
    ///
    /// # Errors
    /// When even 10,000 parts of 5 GiB are too few.
    pub fn new(
        size: u64,
        threshold: u64,
        preferred_part_size: u64,
    ) -> Result<Self, TooLargeToPlan> {
        if size < threshold {
            return Ok(Self {
                mode: Mode::Single,
                size,
                part_size: size,
                part_count: 1,
            });
        }
        let smallest_fitting = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = preferred_part_size
            .max(smallest_fitting)
            .clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        let part_count = size.div_ceil(part_size);
        let part_count = u32::try_from(part_count)
            .ok()
            .filter(|_| part_count <= MAX_PARTS)
            .ok_or(TooLargeToPlan(size))?;
        Ok(Self {
            mode: Mode::Multipart,
            size,
            part_size,
            part_count,
        })
    }

    /// The plan of an upload already recorded.
    #[must_use]
    pub fn recorded(mode: Mode, size: u64, part_size: u64) -> Self {
        Self {
            mode,
            size,
            part_size,
            part_count: u32::try_from(size.div_ceil(part_size.max(1)).max(1)).unwrap_or(u32::MAX),
        }
    }

    /// The size of part `number` (1-based), `None` outside the plan.
    #[must_use]
    pub fn part_len(&self, number: u32) -> Option<u64> {
        if number == 0 || number > self.part_count {
            return None;
        }
        let start = u64::from(number - 1) * self.part_size;
        Some(self.part_size.min(self.size - start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_single() {
        let plan = UploadPlan::new(1, 64 * MIB, 16 * MIB).unwrap();
        assert_eq!(
            (plan.mode, plan.part_count, plan.part_len(1)),
            (Mode::Single, 1, Some(1))
        );
        assert_eq!(plan.part_len(2), None);
    }

    #[test]
    fn multipart_keeps_the_last_part_short() {
        let plan = UploadPlan::new(10 * MIB + 1, 5 * MIB, 5 * MIB).unwrap();
        assert_eq!((plan.mode, plan.part_count), (Mode::Multipart, 3));
        assert_eq!(
            [
                plan.part_len(1),
                plan.part_len(2),
                plan.part_len(3),
                plan.part_len(0)
            ],
            [Some(5 * MIB), Some(5 * MIB), Some(1), None]
        );
    }

    #[test]
    fn five_tebibytes_fit_in_ten_thousand_parts() {
        let plan = UploadPlan::new(5 << 40, 64 * MIB, 16 * MIB).unwrap();
        assert!(plan.part_count <= 10_000);
        assert_eq!(plan.part_size % MIB, 0);
        let last = plan.part_len(plan.part_count).unwrap();
        assert_eq!(
            u64::from(plan.part_count - 1) * plan.part_size + last,
            5 << 40
        );
        assert!(UploadPlan::new((5 << 30) * 10_001, 64 * MIB, 16 * MIB).is_err());
    }
}
