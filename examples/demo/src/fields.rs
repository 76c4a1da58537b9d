//! The demo's upload fields.

use joist::{Field, Fields};

/// The car's owner's manual.
pub const OWNERS_MANUAL: &str = "car.owners_manual";

/// Every upload field of the demo. Signed-in users only, unless the environment's config lists a
/// field under `public_fields` (development does, so the README's curl walk-through works).
pub fn all() -> Fields {
    Fields::new().with(Field::new(OWNERS_MANUAL).max_size(200 << 20).accept([
        "application/pdf",
        "image/*",
        "text/plain",
    ]))
}
