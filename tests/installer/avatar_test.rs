//! The avatar field through `joist::testing`, as a host app's own test: a store of its own, an
//! upload through the app's API as a signed-in user, the field value saved by the app's route.

use joist::testing::{Fixture, TestStore, TestingError};
use loco_rs::testing::prelude::*;
use serial_test::serial;
use shop::app::App;

use super::prepare_data;

#[tokio::test]
#[serial]
async fn a_signed_in_user_saves_an_uploaded_avatar() {
    request::<App, _, _>(|server, ctx| async move {
        let store = TestStore::start(&ctx).await.unwrap();
        let user = prepare_data::init_user_login(&server, &ctx).await;
        // a PNG signature and header: finalize checks the bytes are what the name says
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x40\0\0\0\x30\x08\x02\0\0\0".to_vec();
        png.extend(std::iter::repeat_n(7_u8, 4096));
        let avatar = Fixture::new("users.avatar", "ada.png", png.clone());

        let anonymous = store.upload(&server, avatar.clone()).await.unwrap_err();
        assert!(matches!(anonymous, TestingError::Api { status: 401, .. }), "{anonymous}");

        let uploaded = store.upload(&server, avatar.bearer(&user.token)).await.unwrap();
        assert_eq!(uploaded.metadata["width"], 64);
        let (name, value) = prepare_data::auth_header(&user.token);
        let saved = server
            .post("/api/avatar")
            .add_header(name, value)
            .json(&serde_json::json!({"avatar": uploaded.field_value}))
            .await;
        assert_eq!(saved.status_code(), 200, "{}", saved.text());
        assert_eq!(store.object(&uploaded.key).await.unwrap(), Some(png));
    })
    .await;
}
