//! Tera functions for server-rendered pages: `joist_field(...)` renders an upload field,
//! `joist_media()` the script and stylesheet tags it needs, `joist_image(...)` an `<img>` of a
//! file or one of its variants.
//!
//! Register them in the view engine's post-process closure, which runs before templates load
//! (Tera 2 resolves functions at load time):
//!
//! ```no_run
//! # use loco_rs::{app::AppContext, controller::views::engine::TeraView};
//! # fn view_engine(ctx: &AppContext) -> loco_rs::Result<TeraView> {
//! let joist = joist::Joist::from_context(ctx)?;
//! let tera = TeraView::build_with_post_process(move |tera| {
//!     joist::views::register(tera, &joist);
//!     Ok(())
//! })?;
//! # Ok(tera)
//! # }
//! ```

mod field;
mod image;

use tera::{Function, Kwargs, State, TeraResult};

use crate::{Joist, controllers::assets};

/// Registers `joist_field`, `joist_media` and `joist_image` on `tera`.
pub fn register(tera: &mut tera::Tera, joist: &Joist) {
    tera.register_function("joist_field", field::FieldFunction::new(joist.clone()));
    tera.register_function("joist_image", image::ImageFunction);
    tera.register_function(
        "joist_media",
        MediaFunction(media_tags(&joist.config().api_base_url)),
    );
}

/// The `<link>` and `<script>` tags of joist's stylesheet and module, at their versioned URLs.
#[must_use]
pub fn media_tags(api_base_url: &str) -> String {
    format!(
        "<link rel=\"stylesheet\" href=\"{}\">\n<script type=\"module\" src=\"{}\"></script>",
        assets::url(api_base_url, assets::Asset::Css),
        assets::url(api_base_url, assets::Asset::Js),
    )
}

struct MediaFunction(String);

impl Function<TeraResult<String>> for MediaFunction {
    fn call(&self, _kwargs: Kwargs, _state: &State<'_>) -> TeraResult<String> {
        Ok(self.0.clone())
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Escapes text for HTML content and quoted attribute values.
fn escape(text: &str) -> String {
    crate::markup::escape(text, "&#39;")
}
