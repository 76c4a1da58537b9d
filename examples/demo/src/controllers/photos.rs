//! The photo gallery: a multi-file image field, thumbnails from its `thumb` variant.

use axum::{
    Form,
    extract::State,
    http::{StatusCode, request::Parts},
    response::Response,
};
use chrono::Utc;
use joist::{FileView, Joist};
use loco_rs::{
    Result,
    app::AppContext,
    controller::{
        Routes, format,
        views::{ViewEngine, engine::TeraView},
    },
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{fields::PHOTO, models::photos};

/// What the gallery form submits.
#[derive(Debug, Deserialize)]
pub struct PhotosForm {
    /// The field's hidden input: field values, space-separated.
    #[serde(default)]
    pub images: String,
}

#[derive(Serialize)]
struct PhotoView {
    name: String,
    file: FileView,
}

async fn gallery(
    v: &TeraView,
    ctx: &AppContext,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response> {
    let joist = Joist::from_context(ctx)?;
    let photos = photos::Entity::find()
        .order_by_desc(photos::Column::Id)
        .all(&ctx.db)
        .await?;
    let files = joist
        .load_all(
            &ctx.db,
            photos.into_iter().map(|photo| photo.image).collect(),
        )
        .await?;
    let photos: Vec<PhotoView> = files
        .iter()
        .map(|file| {
            let file = joist.view(file);
            PhotoView {
                name: file.filename.clone(),
                file,
            }
        })
        .collect();
    format::render().status(status).view(
        v,
        "photos/index.html",
        json!({ "photos": photos, "error": error }),
    )
}

async fn index(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
) -> Result<Response> {
    gallery(&v, &ctx, StatusCode::OK, None).await
}

async fn add(
    ViewEngine(v): ViewEngine<TeraView>,
    State(ctx): State<AppContext>,
    request: Parts,
    Form(form): Form<PhotosForm>,
) -> Result<Response> {
    let joist = Joist::from_context(&ctx)?;
    let owner = match joist.owner(&ctx, &request, PHOTO).await {
        Ok(owner) => owner,
        Err(denied) => {
            return gallery(&v, &ctx, StatusCode::FORBIDDEN, Some(denied.to_string())).await;
        }
    };
    let transaction = ctx.db.begin().await?;
    let files = match joist
        .attach_all(&transaction, PHOTO, &form.images, &owner)
        .await
    {
        Ok(files) => files,
        Err(error) => {
            return gallery(
                &v,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error.to_string()),
            )
            .await;
        }
    };
    let now = Utc::now().fixed_offset();
    for image in files {
        photos::ActiveModel {
            image: Set(image),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&transaction)
        .await?;
    }
    transaction.commit().await?;
    format::redirect("/photos")
}

/// The routes.
pub fn routes() -> Routes {
    Routes::new().add("/photos", axum::routing::get(index).post(add))
}
