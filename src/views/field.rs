//! `joist_field(field=..., name=..., value=...)`: one upload field.

use std::fmt::Write;

use tera::{Function, Kwargs, State, TeraResult, Value};

use super::escape;
use crate::{Field, Joist, S3File};

pub struct FieldFunction {
    joist: Joist,
}

impl FieldFunction {
    pub const fn new(joist: Joist) -> Self {
        Self { joist }
    }
}

fn current_file(value: Option<&Value>) -> Option<S3File> {
    value
        .and_then(Value::as_str)
        .filter(|key| !key.is_empty())
        .map(|key| S3File::from_key(key.to_string()))
}

impl Function<TeraResult<String>> for FieldFunction {
    fn call(&self, kwargs: Kwargs, _state: &State<'_>) -> TeraResult<String> {
        let field_name: &str = kwargs.must_get("field")?;
        let input_name: &str = kwargs.must_get("name")?;
        let field = self.joist.fields().get(field_name).ok_or_else(|| {
            tera::Error::message(format!(
                "joist_field: `{field_name}` is not a declared upload field"
            ))
        })?;
        // Optional arguments may be absent or `none` (an unset model attribute).
        let label = kwargs.get::<Value>("label")?;
        let options = Options {
            input_name,
            current: current_file(kwargs.get::<Value>("value")?.as_ref()),
            label: label.as_ref().and_then(Value::as_str),
            checksum: kwargs
                .get::<Value>("checksum")?
                .as_ref()
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        Ok(render(&self.joist, field, &options))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

struct Options<'a> {
    input_name: &'a str,
    current: Option<S3File>,
    label: Option<&'a str>,
    checksum: bool,
}

fn render(joist: &Joist, field: &Field, options: &Options<'_>) -> String {
    let config = joist.config();
    let max_size = field.size_limit().map_or(config.max_object_size, |limit| {
        limit.min(config.max_object_size)
    });
    let accept = escape(&field.accepted_types().join(","));
    let name = escape(options.input_name);
    let multiple = field.allows_multiple();
    let mut html = String::with_capacity(1024);
    let _ = write!(
        html,
        "<div class=\"joist-field\" data-joist-field=\"{}\" data-joist-api=\"{}\" data-joist-name=\"{name}\" \
         data-joist-max-size=\"{max_size}\" data-joist-accept=\"{accept}\" data-joist-multiple=\"{multiple}\" \
         data-joist-checksum=\"{}\" data-joist-single-below=\"{}\">",
        escape(field.name()),
        escape(&config.api_base_url),
        options.checksum,
        config.multipart_threshold,
    );
    if let Some(file) = &options.current {
        let _ = write!(
            html,
            "<div class=\"joist-current\" data-joist-current><a class=\"joist-current-name\" href=\"{}\">{}</a> \
             <button type=\"button\" class=\"joist-remove\" data-joist-remove>Remove</button></div>",
            escape(&joist.download_url(file)),
            escape(file.filename()),
        );
    }
    let label = options.label.unwrap_or(if multiple {
        "Choose files or drop them here"
    } else {
        "Choose a file or drop it here"
    });
    let _ = write!(
        html,
        "<input type=\"hidden\" name=\"{name}\" value=\"\" data-joist-value>\
         <label class=\"joist-drop\" data-joist-drop>\
         <input type=\"file\" class=\"joist-input\" accept=\"{accept}\"{} data-joist-input>\
         <span class=\"joist-drop-text\">{}</span></label>\
         <ul class=\"joist-uploads\" data-joist-list></ul>\
         <p class=\"joist-error\" role=\"alert\" aria-live=\"assertive\" data-joist-error hidden></p>\
         <noscript><p class=\"joist-nojs\">Uploading files needs JavaScript. Please enable it to attach a file.</p></noscript>\
         </div>",
        if multiple { " multiple" } else { "" },
        escape(label),
    );
    html
}
