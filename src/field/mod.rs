//! Upload fields: what a host declares (name, limits, accepted types, who may upload), and the
//! [`S3File`] value a model stores once an upload is attached.

mod authorize;
mod content_type;
mod filename;
mod s3_file;

use std::{collections::BTreeMap, sync::Arc};

use crate::{inspect::ImageLimits, variants::Variant};

pub use authorize::{Authorize, Denied, JwtUser, Owner, Public};
pub use content_type::{ContentTypeError, normalize as normalize_content_type};
pub use filename::{FilenameError, display_name, key_safe};
pub use s3_file::S3File;

/// How a field's files are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Through presigned URLs that expire.
    Presigned,
    /// Through `public_base_url`, unsigned, when it is set.
    Public,
}

/// One upload field, such as `car.owners_manual`.
///
/// ```
/// use joist::Field;
///
/// let field = Field::new("car.owners_manual")
///     .max_size(50 << 20)
///     .accept(["application/pdf", "image/*"]);
/// assert!(field.accepts("image/png"));
/// assert!(!field.accepts("text/html"));
/// ```
#[derive(Clone)]
pub struct Field {
    name: String,
    max_size: Option<u64>,
    accept: Vec<String>,
    key_prefix: Option<String>,
    multiple: bool,
    inspect: bool,
    quarantine: bool,
    image_limits: ImageLimits,
    variants: Vec<(String, Variant)>,
    delivery: Delivery,
    authorizer: Arc<dyn Authorize>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .field("max_size", &self.max_size)
            .field("accept", &self.accept)
            .field("key_prefix", &self.key_prefix)
            .field("multiple", &self.multiple)
            .field("inspect", &self.inspect)
            .field("quarantine", &self.quarantine)
            .field("image_limits", &self.image_limits)
            .field("variants", &self.variants)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl Field {
    /// A field named `name` (letters, digits, `.`, `_`, `-`), open to signed-in users
    /// ([`JwtUser`]), any size up to the store's limit, any type.
    ///
    /// # Panics
    /// When the name is empty or has other characters: field names are part of object keys.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(
            key_safe_name(&name),
            "joist field name `{name}` may only hold ASCII letters, digits, `.`, `_` and `-`"
        );
        Self {
            name,
            max_size: None,
            accept: Vec::new(),
            key_prefix: None,
            multiple: false,
            inspect: true,
            quarantine: false,
            image_limits: ImageLimits::default(),
            variants: Vec::new(),
            delivery: Delivery::Presigned,
            authorizer: Arc::new(JwtUser),
        }
    }

    /// The largest file this field takes, in bytes.
    #[must_use]
    pub const fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// Content types this field takes: exact (`application/pdf`) or a family (`image/*`; SVG,
    /// which can run script, only by its exact name `image/svg+xml`). Without a call, every type
    /// is accepted.
    ///
    /// At finalize the engine reads the file's first bytes: a file whose bytes show another type
    /// than the one declared, or a type not accepted here, is refused (`422 content_mismatch`)
    /// and deleted (see [`crate::inspect`] for types without magic bytes, such as text).
    #[must_use]
    pub fn accept<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.accept = patterns
            .into_iter()
            .map(|pattern| pattern.into().to_ascii_lowercase())
            .collect();
        self
    }

    /// Refuse images smaller than `width` × `height` pixels (`422 image_dimensions`).
    #[must_use]
    pub const fn min_dimensions(mut self, width: u32, height: u32) -> Self {
        self.image_limits.min = Some((width, height));
        self
    }

    /// Refuse images wider than `width` or higher than `height` pixels.
    #[must_use]
    pub const fn max_dimensions(mut self, width: u32, height: u32) -> Self {
        self.image_limits.max = Some((width, height));
        self
    }

    /// Refuse images of more than `pixels` pixels (width × height), read from the header alone:
    /// a decompression bomb is refused before anything decodes it.
    #[must_use]
    pub const fn max_pixels(mut self, pixels: u64) -> Self {
        self.image_limits.max_pixels = Some(pixels);
        self
    }

    /// Adds (or replaces) the image variant `name`, made in the background once an image of
    /// this field is finalized (see [`crate::variants`]). Variants need inspection: a field
    /// that skips it gets none.
    ///
    /// # Panics
    /// When the name is empty or has characters other than ASCII letters, digits, `.`, `_`
    /// and `-`: it is part of the variant's key.
    #[must_use]
    pub fn variant(mut self, name: impl Into<String>, variant: Variant) -> Self {
        let name = name.into();
        assert!(
            key_safe_name(&name),
            "joist variant name `{name}` may only hold ASCII letters, digits, `.`, `_` and `-`"
        );
        self.variants.retain(|(existing, _)| *existing != name);
        self.variants.push((name, variant));
        self
    }

    /// The declared variants, in declaration order.
    pub fn variants(&self) -> impl Iterator<Item = (&str, &Variant)> {
        self.variants
            .iter()
            .map(|(name, variant)| (name.as_str(), variant))
    }

    /// The variant named `name`.
    #[must_use]
    pub fn variant_named(&self, name: &str) -> Option<&Variant> {
        self.variants()
            .find(|(declared, _)| *declared == name)
            .map(|(_, variant)| variant)
    }

    /// Serve this field's files and variants through `public_base_url` (a CDN, or the bucket's
    /// public website), when it is set: plain unsigned URLs that can be cached and shared.
    /// Without a call (or without `public_base_url`) every download URL is presigned and
    /// expires: files are private by default.
    ///
    /// **Warning**: the CDN or bucket policy must then let anyone read this field's keys, and
    /// anyone with a URL can read the file, for as long as it exists.
    #[must_use]
    pub const fn public_delivery(mut self) -> Self {
        self.delivery = Delivery::Public;
        self
    }

    /// Whether this field's files are served through `public_base_url`.
    #[must_use]
    pub const fn delivered_publicly(&self) -> bool {
        matches!(self.delivery, Delivery::Public)
    }

    /// Trust the declared type and record no metadata: finalize reads nothing from the store.
    /// For fields whose files nobody opens as what they claim to be (backups, say).
    #[must_use]
    pub const fn skip_inspection(mut self) -> Self {
        self.inspect = false;
        self
    }

    /// The key segment after `upload_prefix` (default: the field name).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into().trim_matches('/').to_string());
        self
    }

    /// Let the form field take several files at once (its value lists them, space-separated;
    /// see [`crate::form`]).
    #[must_use]
    pub const fn multiple(mut self) -> Self {
        self.multiple = true;
        self
    }

    /// Who may upload, and as which owner.
    #[must_use]
    pub fn authorize_with(mut self, authorizer: impl Authorize) -> Self {
        self.authorizer = Arc::new(authorizer);
        self
    }

    /// Let anyone upload, without signing in.
    ///
    /// **Warning**: anyone who can reach the API can then put files of this field's size into
    /// your bucket. Keep `max_size` and `accept` tight on public fields.
    #[must_use]
    pub fn public(self) -> Self {
        self.authorize_with(Public)
    }

    /// The field's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's own size limit, if any.
    #[must_use]
    pub const fn size_limit(&self) -> Option<u64> {
        self.max_size
    }

    /// The accepted type patterns (empty: all).
    #[must_use]
    pub fn accepted_types(&self) -> &[String] {
        &self.accept
    }

    /// Whether the form field takes several files.
    #[must_use]
    pub const fn allows_multiple(&self) -> bool {
        self.multiple
    }

    /// Upload this field's files under the quarantine prefix (`checks.quarantine_prefix`),
    /// which only the server reads; finalize promotes them to their key once every check and
    /// scanner passed. `checks.quarantine` does it for every field.
    #[must_use]
    pub const fn quarantine(mut self) -> Self {
        self.quarantine = true;
        self
    }

    /// Whether this field's files land in quarantine (by the field, or `checks.quarantine`).
    #[must_use]
    pub const fn quarantined(&self, config: &crate::JoistConfig) -> bool {
        self.quarantine || config.checks.quarantine
    }

    /// Whether finalize inspects this field's files (see [`Self::skip_inspection`]).
    #[must_use]
    pub const fn inspects(&self) -> bool {
        self.inspect
    }

    /// The field's image dimension limits.
    #[must_use]
    pub const fn image_limits(&self) -> ImageLimits {
        self.image_limits
    }

    /// The key segment for this field's objects.
    #[must_use]
    pub fn key_segment(&self) -> &str {
        self.key_prefix.as_deref().unwrap_or(&self.name)
    }

    /// The field's authorizer.
    #[must_use]
    pub fn authorizer(&self) -> &dyn Authorize {
        self.authorizer.as_ref()
    }

    /// Whether a (normalized) content type matches one of the accepted patterns.
    #[must_use]
    pub fn accepts(&self, content_type: &str) -> bool {
        self.accept.is_empty()
            || self
                .accept
                .iter()
                .any(|pattern| content_type::matches(pattern, content_type))
    }
}

/// Whether `name` may be part of a key: ASCII letters, digits, `.`, `_` and `-`, not empty.
fn key_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The fields a host declares, by name.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    by_name: BTreeMap<String, Field>,
}

impl Fields {
    /// No fields yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a field.
    #[must_use]
    pub fn with(mut self, field: Field) -> Self {
        self.by_name.insert(field.name.clone(), field);
        self
    }

    /// The field named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name)
    }

    /// Every field, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Field> {
        self.by_name.values()
    }

    /// The field whose objects live under `upload_prefix` + its key segment, for `key`.
    #[must_use]
    pub fn for_key(&self, key: &str, upload_prefix: &str) -> Option<&Field> {
        let rest = key.strip_prefix(upload_prefix)?;
        self.iter().find(|field| {
            rest.strip_prefix(field.key_segment())
                .is_some_and(|after| after.starts_with('/'))
        })
    }

    /// Every field with [`Field::skip_inspection`] (the config's `checks.inspect: false`).
    #[must_use]
    pub fn without_inspection(mut self) -> Self {
        self.by_name = self
            .by_name
            .into_iter()
            .map(|(name, field)| (name, field.skip_inspection()))
            .collect();
        self
    }

    /// Makes the named fields public (the config's `public_fields`).
    ///
    /// # Errors
    /// The first name that is not a declared field.
    pub fn open_to_public(mut self, names: &[String]) -> Result<Self, String> {
        for name in names {
            let field = self
                .by_name
                .remove(name)
                .ok_or_else(|| format!("`{name}` is not a declared field"))?;
            self.by_name.insert(name.clone(), field.public());
        }
        Ok(self)
    }
}
