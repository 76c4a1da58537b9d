//! The Tera functions and the engine's own JS and CSS.

use insta::assert_snapshot;
use joist::Joist;
use serde_json::{Value, json};

use crate::support::{host::PHOTO, request};

fn tera_with_joist(joist: &Joist) -> tera::Tera {
    let mut tera = tera::Tera::default();
    joist::views::register(&mut tera, joist);
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates([
        ("media.html", "{{ joist_media() }}"),
        (
            "field.html",
            "{{ joist_field(field=field, name=name, value=value, label=label) }}",
        ),
        (
            "unknown.html",
            r#"{{ joist_field(field="car.nope", name="x") }}"#,
        ),
    ])
    .unwrap();
    tera
}

fn render(tera: &tera::Tera, template: &str, context: &Value) -> Result<String, String> {
    tera.render(template, &tera::Context::from_serialize(context).unwrap())
        .map_err(|error| format!("{error:?}"))
}

fn redact(html: &str) -> String {
    let mut out = html.to_string();
    if let Some(start) = out.find("http://127.0.0.1:") {
        let end = start + out[start..].find("/joist-test/").unwrap();
        out.replace_range(start..end, "http://[store]");
    }
    for marker in ["X-Amz-Date=", "X-Amz-Signature=", "X-Amz-Credential="] {
        while let Some(start) = out.find(marker) {
            let value_start = start + marker.len();
            let end = out[value_start..]
                .find(['&', '"'])
                .map_or(out.len(), |end| value_start + end);
            out.replace_range(start..end, &marker.replace('=', "[redacted]"));
        }
    }
    out
}

#[tokio::test]
async fn renders_a_field_its_current_file_and_the_media_tags() {
    request(|_server, ctx| async move {
        let joist = Joist::from_context(&ctx).unwrap();
        let tera = tera_with_joist(&joist);
        let empty = render(&tera, "field.html", &json!({"field": PHOTO, "name": "photos", "value": null, "label": null})).unwrap();
        assert!(!empty.contains("joist-current"), "{empty}");
        let current = render(
            &tera,
            "field.html",
            &json!({"field": PHOTO, "name": "pho\"tos<", "value": "photos/1/<b>a.png", "label": "Drop \"here\""}),
        )
        .unwrap();
        assert!(!current.contains("<b>") && !current.contains("pho\"tos"), "user text is escaped: {current}");
        assert_snapshot!("field_empty", empty);
        assert_snapshot!("field_with_current_file", redact(&current));
        let media = render(&tera, "media.html", &json!({})).unwrap();
        assert!(media.contains("/api/joist/assets/joist.") && media.contains(".js\"") && media.contains(".css\""), "{media}");
        let error = render(&tera, "unknown.html", &json!({})).unwrap_err();
        assert!(error.contains("`car.nope` is not a declared upload field"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn serves_its_js_and_css_at_versioned_immutable_urls() {
    request(|server, _ctx| async move {
        let media = joist::views::media_tags("/api/joist");
        for (extension, content_type) in [(".js", "text/javascript"), (".css", "text/css")] {
            let url = media
                .split('"')
                .find(|part| part.starts_with("/api/joist/assets/") && part.ends_with(extension))
                .unwrap();
            let response = server.get(url).await;
            assert_eq!(response.status_code().as_u16(), 200, "{url}");
            assert!(
                response
                    .header("content-type")
                    .to_str()
                    .unwrap()
                    .starts_with(content_type)
            );
            assert_eq!(
                response.header("cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert!(!response.text().is_empty(), "{url} has content");
        }
        let missing = server.get("/api/joist/assets/joist.000000000000.js").await;
        assert_eq!(missing.status_code().as_u16(), 404);
        assert_eq!(missing.json::<Value>()["error"]["code"], "unknown_asset");
    })
    .await;
}
