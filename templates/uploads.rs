//! Upload fields and joist's setup, written by `joist install`; `joist field` adds fields.

use joist::{events::Handlers, Fields, JoistInitializer};

/// Every upload field of the app.
pub fn fields() -> Fields {
    Fields::new()
    // joist-fields (do not remove)
}

/// joist as this app sets it up: its fields, its upload event handlers (e.g.
/// `Handlers::new().on_finalized(MyHandler)`) and who may use the admin pages (default: anyone in
/// development, nobody elsewhere; see `JoistInitializer::with_admin`).
pub fn joist() -> JoistInitializer {
    JoistInitializer::new(fields()).with_handlers(Handlers::new())
}
