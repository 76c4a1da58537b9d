//! The car pages: server-rendered forms whose manual field uploads straight to the bucket.

use axum::{
    Form,
    extract::{Path, State},
    http::{StatusCode, request::Parts},
    response::Response,
};
use chrono::Utc;
use joist::Joist;
use loco_rs::{
    Result,
    app::AppContext,
    controller::{
        Routes, format,
        views::{ViewEngine, engine::TeraView},
    },
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{fields::OWNERS_MANUAL, fingerprint, models::cars};

/// What the car form submits.
#[derive(Debug, Deserialize)]
pub struct CarForm {
    /// The name.
    pub name: String,
    /// The manual field's hidden input (see `joist::form`).
    #[serde(default)]
    pub owners_manual: String,
}

#[derive(Serialize)]
struct CarPage {
    id: i32,
    name: String,
    manual_name: Option<String>,
    manual_url: Option<String>,
    manual_summary: Option<String>,
}

/// `manual` is the car's manual loaded with its upload record (`Joist::load`), so its link
/// downloads it under the name it was uploaded with, typed.
fn page(joist: &Joist, car: &cars::Model, manual: Option<&joist::S3File>) -> CarPage {
    CarPage {
        id: car.id,
        name: car.name.clone(),
        manual_name: manual.map(|file| {
            file.original_filename()
                .unwrap_or_else(|| file.filename())
                .to_string()
        }),
        manual_url: manual.map(|file| joist.download_url(file)),
        manual_summary: None,
    }
}

async fn find(ctx: &AppContext, id: i32) -> Result<cars::Model> {
    cars::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(loco_rs::Error::NotFound)
}

/// The form again, with what went wrong.
fn refused(
    v: &TeraView,
    template: &str,
    action: &str,
    form: &CarForm,
    current: Option<&joist::S3File>,
    error: &str,
) -> Result<Response> {
    format::render().status(StatusCode::UNPROCESSABLE_ENTITY).view(
        v,
        template,
        json!({"action": action, "heading": if template == "cars/new.html" { "New car" } else { "Edit car" },
               "name": form.name, "owners_manual": current.map(joist::S3File::key), "error": error}),
    )
}

/// The name and manual the form asks for, or the message to show with the form again.
async fn read_form(
    ctx: &AppContext,
    request: &Parts,
    form: &CarForm,
    current: Option<joist::S3File>,
) -> std::result::Result<(String, Option<joist::S3File>), String> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err("A car needs a name.".to_string());
    }
    let joist = Joist::from_context(ctx).map_err(|error| error.to_string())?;
    let owner = joist
        .owner(ctx, request, OWNERS_MANUAL)
        .await
        .map_err(|denied| denied.to_string())?;
    let manual = joist
        .apply(&ctx.db, OWNERS_MANUAL, &form.owners_manual, &owner, current)
        .await
        .map_err(|error| error.to_string())?;
    Ok((name.to_string(), manual))
}

async fn index(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
) -> Result<Response> {
    let joist = Joist::from_context(&ctx)?;
    let cars = cars::Entity::find()
        .order_by_asc(cars::Column::Id)
        .all(&ctx.db)
        .await?;
    let manuals = joist
        .load_all(
            &ctx.db,
            cars.iter()
                .filter_map(|car| car.owners_manual.clone())
                .collect(),
        )
        .await?;
    let cars: Vec<CarPage> = cars
        .iter()
        .map(|car| {
            let manual = car
                .owners_manual
                .as_ref()
                .and_then(|file| manuals.iter().find(|loaded| *loaded == file));
            page(&joist, car, manual)
        })
        .collect();
    format::render().view(&v, "cars/index.html", json!({ "cars": cars }))
}

async fn new(ViewEngine(v): ViewEngine<TeraView>) -> Result<Response> {
    format::render().view(&v, "cars/new.html", json!({"action": "/cars", "heading": "New car", "name": "", "owners_manual": null, "error": null}))
}

async fn create(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
    request: Parts,
    Form(form): Form<CarForm>,
) -> Result<Response> {
    let (name, manual) = match read_form(&ctx, &request, &form, None).await {
        Ok(read) => read,
        Err(message) => return refused(&v, "cars/new.html", "/cars", &form, None, &message),
    };
    let now = Utc::now().fixed_offset();
    let car = cars::ActiveModel {
        name: Set(name),
        owners_manual: Set(manual),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    format::redirect(&format!("/cars/{}", car.id))
}

async fn show(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
    Path(id): Path<i32>,
) -> Result<Response> {
    let joist = Joist::from_context(&ctx)?;
    let car = find(&ctx, id).await?;
    let upload = match &car.owners_manual {
        Some(file) => joist::models::Upload::find_by_key(&ctx.db, file.key()).await?,
        None => None,
    };
    let manual = upload
        .as_ref()
        .map(joist::S3File::from_upload)
        .or_else(|| car.owners_manual.clone());
    let mut shown = page(&joist, &car, manual.as_ref());
    shown.manual_summary = upload.and_then(|upload| fingerprint::summary(upload.metadata.as_ref()));
    format::render().view(&v, "cars/show.html", json!({ "car": shown }))
}

async fn edit(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
    Path(id): Path<i32>,
) -> Result<Response> {
    let car = find(&ctx, id).await?;
    format::render().view(
        &v,
        "cars/edit.html",
        json!({"action": format!("/cars/{id}"), "heading": "Edit car", "name": car.name,
               "owners_manual": car.owners_manual.as_ref().map(joist::S3File::key), "error": null}),
    )
}

async fn update(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
    Path(id): Path<i32>,
    request: Parts,
    Form(form): Form<CarForm>,
) -> Result<Response> {
    let car = find(&ctx, id).await?;
    let action = format!("/cars/{id}");
    let current = car.owners_manual.clone();
    let (name, manual) = match read_form(&ctx, &request, &form, current.clone()).await {
        Ok(read) => read,
        Err(message) => {
            return refused(
                &v,
                "cars/edit.html",
                &action,
                &form,
                current.as_ref(),
                &message,
            );
        }
    };
    let mut car: cars::ActiveModel = car.into();
    car.name = Set(name);
    car.owners_manual = Set(manual);
    car.updated_at = Set(Utc::now().fixed_offset());
    car.update(&ctx.db).await?;
    format::redirect(&action)
}

async fn home() -> Result<Response> {
    format::redirect("/cars")
}

/// The routes.
pub fn routes() -> Routes {
    Routes::new()
        .add("/", axum::routing::get(home))
        .add("/cars", axum::routing::get(index).post(create))
        .add("/cars/new", axum::routing::get(new))
        .add("/cars/{id}", axum::routing::get(show).post(update))
        .add("/cars/{id}/edit", axum::routing::get(edit))
}
