//! `/api/avatar`: the signed-in user's avatar, a joist upload field. What a developer writes from
//! the lines `joist field users avatar` prints; the installer test adds it to a fresh app.

use axum::http::request::Parts;
use loco_rs::prelude::*;
use serde::{Deserialize, Serialize};

use crate::models::_entities::users;

#[derive(Debug, Deserialize)]
pub struct AvatarParams {
    pub avatar: String,
}

#[derive(Debug, Serialize)]
pub struct AvatarView {
    pub key: Option<String>,
    pub url: Option<String>,
}

fn view(joist: &joist::Joist, user: &users::Model) -> AvatarView {
    AvatarView {
        key: user.avatar.as_ref().map(|file| file.key().to_string()),
        url: user.avatar.as_ref().map(|file| joist.download_url(file)),
    }
}

async fn user(ctx: &AppContext, auth: &auth::JWT) -> Result<users::Model> {
    users::Entity::find()
        .filter(users::Column::Pid.eq(uuid::Uuid::parse_str(&auth.claims.pid).map_err(|_| Error::NotFound)?))
        .one(&ctx.db)
        .await?
        .ok_or(Error::NotFound)
}

async fn show(auth: auth::JWT, State(ctx): State<AppContext>) -> Result<Response> {
    let joist = joist::Joist::from_context(&ctx)?;
    format::json(view(&joist, &user(&ctx, &auth).await?))
}

async fn update(
    auth: auth::JWT,
    State(ctx): State<AppContext>,
    request: Parts,
    Json(params): Json<AvatarParams>,
) -> Result<Response> {
    let item = user(&ctx, &auth).await?;
    let joist = joist::Joist::from_context(&ctx)?;
    let owner = joist
        .owner(&ctx, &request, "users.avatar")
        .await
        .map_err(|error| Error::Unauthorized(error.to_string()))?;
    let avatar = joist
        .apply(&ctx.db, "users.avatar", &params.avatar, &owner, item.avatar.clone())
        .await
        .map_err(|error| Error::BadRequest(error.to_string()))?;
    let mut active = item.into_active_model();
    active.avatar = Set(avatar);
    let saved = active.update(&ctx.db).await?;
    format::json(view(&joist, &saved))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/avatar")
        .add("/", get(show).post(update))
}
