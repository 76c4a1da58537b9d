//! Download URLs: presigned GETs that tell the browser how to treat the file
//! (`response-content-disposition` with the original filename, per RFC 6266 and RFC 5987, and
//! `response-content-type`), or plain URLs under `public_base_url` for fields delivered
//! publicly.
//!
//! Inline display is only asked for the types a browser cannot run script from (Active
//! Storage's list: raster images, PDF); everything else downloads as an attachment, so a
//! user's HTML or SVG never renders on the store's origin. A file whose type is unknown (an
//! [`S3File`] straight from a column, not [`Joist::load`]ed) downloads too.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{Joist, S3File, s3::presign::PATH};

/// The types a download may show inline.
pub const INLINE_TYPES: [&str; 10] = [
    "image/png",
    "image/gif",
    "image/jpeg",
    "image/webp",
    "image/avif",
    "image/tiff",
    "image/bmp",
    "image/vnd.microsoft.icon",
    "image/vnd.adobe.photoshop",
    "application/pdf",
];

/// How the browser treats a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the page or tab, when its type is one of [`INLINE_TYPES`].
    Inline,
    /// Saved under its filename.
    Attachment,
}

impl Disposition {
    /// The header's first word.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Inline => "inline",
            Self::Attachment => "attachment",
        }
    }
}

/// RFC 5987's `attr-char`: what `filename*` keeps as is.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A `Content-Disposition` value naming `filename`: a plain ASCII `filename` for old clients
/// and the exact UTF-8 name in `filename*` (RFC 6266 section 4.3).
///
/// ```
/// use joist::delivery::{Disposition, content_disposition};
///
/// assert_eq!(
///     content_disposition(Disposition::Attachment, "Résumé \"2026\".pdf"),
///     "attachment; filename=\"R_sum_ _2026_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%222026%22.pdf"
/// );
/// ```
#[must_use]
pub fn content_disposition(disposition: Disposition, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        disposition.name(),
        utf8_percent_encode(filename, ATTR_CHAR)
    )
}

/// One download URL, being described: see [`Joist::download`].
#[derive(Debug, Clone)]
pub struct Download<'a> {
    joist: &'a Joist,
    key: String,
    filename: String,
    content_type: Option<String>,
    disposition: Disposition,
    expires_in: Duration,
}

impl Joist {
    /// A download URL for `file`, to describe further: inline by default (for
    /// [`INLINE_TYPES`]), named after its original filename when known, valid for
    /// `url_lifetime`.
    ///
    /// ```no_run
    /// # fn link(joist: &joist::Joist, manual: &joist::S3File) -> String {
    /// use std::time::Duration;
    ///
    /// joist
    ///     .download(manual)
    ///     .attachment()
    ///     .expires_in(Duration::from_secs(60))
    ///     .url()
    /// # }
    /// ```
    #[must_use]
    pub fn download<'a>(&'a self, file: &S3File) -> Download<'a> {
        Download {
            joist: self,
            key: file.key().to_string(),
            filename: file
                .original_filename()
                .unwrap_or_else(|| file.filename())
                .to_string(),
            content_type: file.content_type().map(str::to_string),
            disposition: Disposition::Inline,
            expires_in: self.config().url_lifetime(),
        }
    }

    /// A download URL for `file`, inline when its type allows, valid for `url_lifetime`
    /// (see [`Self::download`]).
    #[must_use]
    pub fn download_url(&self, file: &S3File) -> String {
        self.download(file).url()
    }

    /// A download URL for `file`, valid for `expires_in`.
    #[must_use]
    pub fn download_url_for(&self, file: &S3File, expires_in: Duration) -> String {
        self.download(file).expires_in(expires_in).url()
    }
}

impl Download<'_> {
    /// Shown in the browser when its type is one of [`INLINE_TYPES`] (the default).
    #[must_use]
    pub const fn inline(mut self) -> Self {
        self.disposition = Disposition::Inline;
        self
    }

    /// Saved under its filename.
    #[must_use]
    pub const fn attachment(mut self) -> Self {
        self.disposition = Disposition::Attachment;
        self
    }

    /// Named `filename` instead of its original filename.
    #[must_use]
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = filename.into();
        self
    }

    /// Served as `content_type` instead of its own.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Valid for `expires_in` (capped by the credentials' own expiry).
    #[must_use]
    pub const fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = expires_in;
        self
    }

    /// The disposition the URL asks for: inline only for [`INLINE_TYPES`].
    #[must_use]
    pub fn disposition(&self) -> Disposition {
        let inline_type = self
            .content_type
            .as_deref()
            .is_some_and(|kind| INLINE_TYPES.contains(&kind));
        if self.disposition == Disposition::Inline && inline_type {
            Disposition::Inline
        } else {
            Disposition::Attachment
        }
    }

    /// The URL: under `public_base_url` for a field delivered publicly, else presigned.
    #[must_use]
    pub fn url(&self) -> String {
        let config = self.joist.config();
        let public = self
            .joist
            .fields()
            .for_key(&self.key, &config.upload_prefix)
            .is_some_and(crate::Field::delivered_publicly);
        if let (true, Some(base)) = (public, &config.public_base_url) {
            return format!(
                "{}/{}",
                base.trim_end_matches('/'),
                utf8_percent_encode(&self.key, PATH)
            );
        }
        let mut overrides = vec![(
            "response-content-disposition",
            content_disposition(self.disposition(), &self.filename),
        )];
        if let Some(content_type) = &self.content_type {
            overrides.push(("response-content-type", content_type.clone()));
        }
        self.joist
            .store()
            .download_url(&self.key, self.expires_in, overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_filename_safely() {
        assert_eq!(
            content_disposition(Disposition::Inline, "cat.png"),
            "inline; filename=\"cat.png\"; filename*=UTF-8''cat.png"
        );
        assert_eq!(
            content_disposition(Disposition::Attachment, "東京 100%.txt"),
            "attachment; filename=\"__ 100_.txt\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC%20100%25.txt"
        );
        assert_eq!(
            content_disposition(Disposition::Attachment, "a\\b;c\r\n.txt"),
            "attachment; filename=\"a_b;c__.txt\"; filename*=UTF-8''a%5Cb%3Bc%0D%0A.txt"
        );
    }
}
