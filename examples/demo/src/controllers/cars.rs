//! `/api/cars`: create, list, show and update cars; the owner's manual arrives as a joist field
//! value and is stored as an `S3File`.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, request::Parts},
};
use chrono::Utc;
use joist::{
    Joist,
    controllers::api::{ApiError, ApiJson},
};
use loco_rs::{app::AppContext, controller::Routes};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{fields::OWNERS_MANUAL, models::cars};

/// A new car.
#[derive(Debug, Deserialize)]
pub struct NewCar {
    /// Its name.
    pub name: String,
    /// The `field_value` of a finalized upload, if a manual was uploaded.
    #[serde(default)]
    pub owners_manual: Option<String>,
}

/// Changes to a car: an absent key keeps a value, `"owners_manual": null` removes the manual.
#[derive(Debug, Deserialize)]
pub struct CarChanges {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new manual's field value, or `null` to remove it.
    #[allow(clippy::option_option)] // absent, null or a value: the three cases of a JSON patch
    #[serde(default, deserialize_with = "present")]
    pub owners_manual: Option<Option<String>>,
}

#[allow(clippy::option_option)]
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A manual as clients see it.
#[derive(Debug, Serialize)]
pub struct ManualView {
    /// The object key.
    pub key: String,
    /// The filename.
    pub filename: String,
    /// A presigned download URL.
    pub url: String,
}

/// A car as clients see it.
#[derive(Debug, Serialize)]
pub struct CarView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The manual, if any.
    pub owners_manual: Option<ManualView>,
}

fn view(joist: &Joist, car: cars::Model) -> CarView {
    CarView {
        id: car.id,
        name: car.name,
        owners_manual: car.owners_manual.map(|file| ManualView {
            key: file.key().to_string(),
            filename: file.filename().to_string(),
            url: joist.download_url(&file),
        }),
    }
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid(
            "invalid_name",
            "a car needs a name of 1 to 200 characters",
        ));
    }
    Ok(name.to_string())
}

async fn manual(
    ctx: &AppContext,
    request: &Parts,
    joist: &Joist,
    value: &str,
) -> Result<joist::S3File, ApiError> {
    let owner = joist.owner(ctx, request, OWNERS_MANUAL).await?;
    Ok(joist.attach(&ctx.db, OWNERS_MANUAL, value, &owner).await?)
}

async fn find(ctx: &AppContext, id: i32) -> Result<cars::Model, ApiError> {
    cars::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such car"))
}

async fn list(State(ctx): State<AppContext>) -> Result<Json<Vec<CarView>>, ApiError> {
    let joist = Joist::from_context(&ctx)?;
    let cars = cars::Entity::find()
        .order_by_asc(cars::Column::Id)
        .all(&ctx.db)
        .await?;
    Ok(Json(
        cars.into_iter().map(|car| view(&joist, car)).collect(),
    ))
}

async fn create(
    State(ctx): State<AppContext>,
    request: Parts,
    ApiJson(params): ApiJson<NewCar>,
) -> Result<(StatusCode, Json<CarView>), ApiError> {
    let joist = Joist::from_context(&ctx)?;
    let name = checked_name(&params.name)?;
    let owners_manual = match params.owners_manual.as_deref().map(str::trim) {
        Some(value) if !value.is_empty() => Some(manual(&ctx, &request, &joist, value).await?),
        _ => None,
    };
    let now = Utc::now().fixed_offset();
    let car = cars::ActiveModel {
        name: Set(name),
        owners_manual: Set(owners_manual),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok((StatusCode::CREATED, Json(view(&joist, car))))
}

async fn show(
    State(ctx): State<AppContext>,
    Path(id): Path<i32>,
) -> Result<Json<CarView>, ApiError> {
    let joist = Joist::from_context(&ctx)?;
    Ok(Json(view(&joist, find(&ctx, id).await?)))
}

async fn update(
    State(ctx): State<AppContext>,
    Path(id): Path<i32>,
    request: Parts,
    ApiJson(changes): ApiJson<CarChanges>,
) -> Result<Json<CarView>, ApiError> {
    let joist = Joist::from_context(&ctx)?;
    let mut car: cars::ActiveModel = find(&ctx, id).await?.into();
    if let Some(name) = changes.name {
        car.name = Set(checked_name(&name)?);
    }
    if let Some(change) = changes.owners_manual {
        let file = match change {
            Some(value) => Some(manual(&ctx, &request, &joist, &value).await?),
            None => None,
        };
        car.owners_manual = Set(file);
    }
    car.updated_at = Set(Utc::now().fixed_offset());
    Ok(Json(view(&joist, car.update(&ctx.db).await?)))
}

/// The routes.
pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/cars")
        .add("/", axum::routing::get(list).post(create))
        .add("/{id}", axum::routing::get(show).patch(update))
}
