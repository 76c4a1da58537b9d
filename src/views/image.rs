//! `joist_image(value=..., variant=..., alt=...)`: an `<img>` of a file or one of its variants,
//! with its width and height (no layout shift), falling back to the original while the variant
//! is pending or failed (Shrine's `fallback_to_original`).

use std::fmt::Write;

use tera::{Function, Kwargs, State, TeraResult, Value};

use super::escape;
use crate::{FileView, variants::VariantStatus};

pub struct ImageFunction;

fn argument_error(message: impl Into<String>) -> tera::Error {
    tera::Error::message(format!("joist_image: {}", message.into()))
}

impl Function<TeraResult<String>> for ImageFunction {
    fn call(&self, kwargs: Kwargs, _state: &State<'_>) -> TeraResult<String> {
        let value: Value = kwargs.must_get("value")?;
        let file: FileView = serde_json::to_value(&value)
            .and_then(serde_json::from_value)
            .map_err(|_| {
                argument_error(
                    "`value` must be a file view: pass `joist.view(&file)` (after `joist.load`) \
                     to the template",
                )
            })?;
        let alt: &str = kwargs.must_get("alt")?;
        let variant = kwargs.get::<Value>("variant")?;
        let class = kwargs.get::<Value>("class")?;
        let fallback = kwargs.get::<Value>("fallback")?;
        let options = Options {
            variant: variant.as_ref().and_then(Value::as_str),
            alt,
            class: class.as_ref().and_then(Value::as_str),
            fallback: fallback.as_ref().and_then(Value::as_str),
        };
        render(&file, &options)
    }

    fn is_safe(&self) -> bool {
        true
    }
}

struct Options<'a> {
    variant: Option<&'a str>,
    alt: &'a str,
    class: Option<&'a str>,
    fallback: Option<&'a str>,
}

fn render(file: &FileView, options: &Options<'_>) -> TeraResult<String> {
    let (src, size, pending) = match options.variant {
        None => (file.url.as_str(), file.width.zip(file.height), false),
        Some(name) => {
            let variant = file.variants.get(name).ok_or_else(|| {
                argument_error(format!("`{}` has no variant `{name}`", file.filename))
            })?;
            let size = variant.width.zip(variant.height);
            if variant.status == VariantStatus::Ready {
                (variant.url.as_str(), size, false)
            } else {
                (options.fallback.unwrap_or(&file.url), size, true)
            }
        }
    };
    let mut html = String::with_capacity(src.len() + 160);
    let _ = write!(
        html,
        "<img src=\"{}\" alt=\"{}\"",
        escape(src),
        escape(options.alt)
    );
    if let Some((width, height)) = size {
        let _ = write!(html, " width=\"{width}\" height=\"{height}\"");
    }
    let _ = write!(
        html,
        " class=\"joist-image{}{}\"",
        if pending { " joist-image-pending" } else { "" },
        options
            .class
            .map(|class| format!(" {}", escape(class)))
            .unwrap_or_default()
    );
    if pending {
        html.push_str(" data-joist-pending");
    }
    html.push_str(" loading=\"lazy\" decoding=\"async\">");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::VariantView;

    fn photo(status: VariantStatus) -> FileView {
        FileView {
            key: "photos/1/cat.jpg".into(),
            filename: "cat.jpg".into(),
            url: "https://s3/cat.jpg?sig".into(),
            content_type: Some("image/jpeg".into()),
            width: Some(3000),
            height: Some(4000),
            variants: BTreeMap::from([(
                "thumb".to_string(),
                VariantView {
                    url: "https://s3/variants/thumb?sig".into(),
                    status,
                    width: Some(150),
                    height: Some(200),
                },
            )]),
        }
    }

    fn options<'a>(variant: Option<&'a str>, fallback: Option<&'a str>) -> Options<'a> {
        Options {
            variant,
            alt: "A \"cat\"",
            class: Some("thumb"),
            fallback,
        }
    }

    #[test]
    fn renders_the_variant_once_ready_and_the_original_before() {
        assert_eq!(
            render(&photo(VariantStatus::Ready), &options(Some("thumb"), None)).unwrap(),
            "<img src=\"https://s3/variants/thumb?sig\" alt=\"A &quot;cat&quot;\" width=\"150\" height=\"200\" \
             class=\"joist-image thumb\" loading=\"lazy\" decoding=\"async\">"
        );
        assert_eq!(
            render(
                &photo(VariantStatus::Pending),
                &options(Some("thumb"), None)
            )
            .unwrap(),
            "<img src=\"https://s3/cat.jpg?sig\" alt=\"A &quot;cat&quot;\" width=\"150\" height=\"200\" \
             class=\"joist-image joist-image-pending thumb\" data-joist-pending loading=\"lazy\" decoding=\"async\">"
        );
        let failed = render(
            &photo(VariantStatus::Failed),
            &options(Some("thumb"), Some("/placeholder.svg")),
        )
        .unwrap();
        assert!(
            failed.starts_with("<img src=\"/placeholder.svg\""),
            "{failed}"
        );
        let original = render(&photo(VariantStatus::Ready), &options(None, None)).unwrap();
        assert!(
            original.contains("width=\"3000\" height=\"4000\""),
            "{original}"
        );
        assert!(
            render(&photo(VariantStatus::Ready), &options(Some("huge"), None))
                .unwrap_err()
                .to_string()
                .contains("no variant `huge`")
        );
    }
}
