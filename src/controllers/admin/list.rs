//! `GET {admin}/`: every upload, filtered, sorted and paged by keyset.

use axum::{extract::State, http::request::Parts, response::Response};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::json;

use super::{AdminError, admit, page, pairs, rows::UploadRow, value};
use crate::{
    controllers::context::SharedContext,
    models::{
        UploadStatus,
        listing::{Cursor, Listing, Sort},
    },
};

/// Uploads per page.
pub const PAGE_SIZE: u64 = 50;

/// The filters as the form shows them back.
#[derive(Debug, Default, Serialize)]
struct Filters {
    status: String,
    field: String,
    owner: String,
    from: String,
    to: String,
    q: String,
    sort: &'static str,
}

fn date(name: &str, text: &str) -> Result<NaiveDate, AdminError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AdminError::BadRequest(format!(
            "{name}: expected a date like 2026-11-25, got `{text}`"
        ))
    })
}

fn listing(pairs: &[(String, String)]) -> Result<(Listing, Filters), AdminError> {
    let mut filters = Filters {
        sort: Sort::default().name(),
        ..Filters::default()
    };
    let mut listing = Listing::default();
    if let Some(status) = value(pairs, "status") {
        listing.status = Some(UploadStatus::from_name(status).ok_or_else(|| {
            AdminError::BadRequest(format!("status: `{status}` is not an upload status"))
        })?);
        filters.status = status.to_string();
    }
    if let Some(sort) = value(pairs, "sort") {
        listing.sort = Sort::from_name(sort)
            .ok_or_else(|| AdminError::BadRequest(format!("sort: `{sort}` is not an order")))?;
        filters.sort = listing.sort.name();
    }
    if let Some(from) = value(pairs, "from") {
        listing.created_from = date("from", from)?
            .and_hms_opt(0, 0, 0)
            .map(|at| at.and_utc().fixed_offset());
        filters.from = from.to_string();
    }
    if let Some(to) = value(pairs, "to") {
        listing.created_before = date("to", to)?
            .checked_add_days(Days::new(1))
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|at| at.and_utc().fixed_offset());
        filters.to = to.to_string();
    }
    for (name, target, shown) in [
        ("field", &mut listing.field, &mut filters.field),
        ("owner", &mut listing.owner, &mut filters.owner),
        ("q", &mut listing.filename, &mut filters.q),
    ] {
        if let Some(text) = value(pairs, name) {
            *target = Some(text.to_string());
            *shown = text.to_string();
        }
    }
    if let Some(after) = value(pairs, "after") {
        listing.after = Some(Cursor::decode(after, listing.sort)?);
    }
    Ok((listing, filters))
}

/// The list URL with `pairs`' filters, without any cursor, plus `extra`.
fn list_url(base: &str, pairs: &[(String, String)], extra: Option<(&str, &str)>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(name, _)| name != "after") {
        query.append_pair(name, value);
    }
    if let Some((name, value)) = extra {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

pub async fn list(
    State(ctx): State<SharedContext>,
    request: Parts,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    let base = &joist.config().admin_base_url;
    let pairs = pairs(request.uri.query().unwrap_or_default().as_bytes());
    let (listing, filters) = listing(&pairs)?;
    let page = listing.page(&ctx.db, PAGE_SIZE).await?;
    let uploads: Vec<_> = page
        .uploads
        .iter()
        .map(|upload| UploadRow::new(base, upload))
        .collect();
    let next_url = page
        .next
        .map(|cursor| list_url(base, &pairs, Some(("after", &cursor.encode()))));
    let first_url = listing
        .after
        .is_some()
        .then(|| list_url(base, &pairs, None));
    page::render(
        "list.html",
        &json!({
            "base": base,
            "admin": admin.0,
            "filters": filters,
            "statuses": UploadStatus::ALL.map(UploadStatus::name),
            "fields": joist.fields().iter().map(crate::Field::name).collect::<Vec<_>>(),
            "sorts": Sort::ALL.map(Sort::name),
            "uploads": uploads,
            "next_url": next_url,
            "first_url": first_url,
            "clear_url": base.clone(),
        }),
    )
}
