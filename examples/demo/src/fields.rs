//! The demo's upload fields.

use joist::{Field, Fields, JoistInitializer, events::Handlers, variants::Variant};

use crate::fingerprint::Fingerprint;

/// The car's owner's manual.
pub const OWNERS_MANUAL: &str = "car.owners_manual";
/// The gallery's photos (several at once), each with a square WebP thumbnail.
pub const PHOTO: &str = "photo.image";
/// The gallery's thumbnail variant of each photo.
pub const THUMB: &str = "thumb";
/// Backups of any size up to S3's 5 TiB (what the load benchmarks prepare).
pub const BACKUP: &str = "backup.archive";

/// Signed-in users' documents, uploaded by headless clients (a single-page app, Uppy): no config
/// lists it under `public_fields`, so every call needs the user's Loco JWT.
pub const DOCUMENT: &str = "document.file";

/// Every upload field of the demo. Signed-in users only, unless the environment's config lists a
/// field under `public_fields` (development does, so the demo works without signing in).
pub fn all() -> Fields {
    Fields::new()
        .with(Field::new(OWNERS_MANUAL).max_size(200 << 20).accept([
            "application/pdf",
            "image/*",
            "text/plain",
        ]))
        .with(Field::new(BACKUP))
        .with(Field::new(DOCUMENT).max_size(1 << 30))
        .with(
            Field::new(PHOTO)
                .max_size(10 << 20)
                .accept(["image/*"])
                .max_pixels(40_000_000)
                .variant(THUMB, Variant::fill(240, 240).webp().quality(78))
                .multiple(),
        )
}

/// joist as the demo sets it up: its fields, and the finalize handler that fingerprints each file
/// (`DEMO_FINGERPRINT=off` leaves it out, for the load benchmarks of `finalize` itself).
pub fn joist() -> JoistInitializer {
    let fields = JoistInitializer::new(all());
    if std::env::var("DEMO_FINGERPRINT").as_deref() == Ok("off") {
        return fields;
    }
    fields.with_handlers(Handlers::new().on_finalized(Fingerprint))
}
