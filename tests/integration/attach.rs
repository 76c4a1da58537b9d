use joist::{AttachError, Joist, Owner, models::UploadStatus};

use serde_json::json;

use crate::support::{
    host::{PHOTO, PRIVATE_DOC, PUBLIC_DOC},
    jwt_for, post_as, put_part, request, upload,
};

#[tokio::test]
async fn a_field_value_becomes_an_s3_file_with_a_download_link() {
    request(|server, ctx| async move {
        let finalized = upload(
            &server,
            PUBLIC_DOC,
            "manual.pdf",
            b"%PDF-1.7 tiny",
            "application/pdf",
        )
        .await;
        let value = finalized["field_value"].as_str().unwrap();
        let joist = Joist::from_context(&ctx).unwrap();

        let file = joist
            .attach(&ctx.db, PUBLIC_DOC, value, &Owner::Anonymous)
            .await
            .unwrap();
        assert_eq!(file.key(), finalized["key"].as_str().unwrap());
        assert_eq!(file.filename(), "manual.pdf");
        let record = joist::models::Upload::find(
            &ctx.db,
            finalized["upload"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(record.status, UploadStatus::Attached);
        assert!(record.attached_at.is_some());

        let again = joist
            .attach(&ctx.db, PUBLIC_DOC, value, &Owner::Anonymous)
            .await
            .unwrap();
        assert_eq!(
            again, file,
            "re-submitting the same value gives the same file"
        );

        let downloaded = reqwest::get(joist.download_url(&file)).await.unwrap();
        assert_eq!(downloaded.status(), 200);
        assert_eq!(&downloaded.bytes().await.unwrap()[..], b"%PDF-1.7 tiny");
    })
    .await;
}

#[tokio::test]
async fn forged_cross_field_and_foreign_values_are_refused() {
    request(|server, ctx| async move {
        let joist = Joist::from_context(&ctx).unwrap();
        let finalized = upload(&server, PUBLIC_DOC, "a.txt", b"abc", "text/plain").await;
        let value = finalized["field_value"].as_str().unwrap();
        let token_like = value.replacen('e', "f", 1);
        for (forged, expected) in [
            (token_like.as_str(), "Invalid"),
            ("", "Invalid"),
            ("not-a-value", "Invalid"),
        ] {
            let error = joist.attach(&ctx.db, PUBLIC_DOC, forged, &Owner::Anonymous).await.unwrap_err();
            assert!(format!("{error:?}").starts_with(expected), "{forged}: {error:?}");
        }
        let error = joist.attach(&ctx.db, PHOTO, value, &Owner::Anonymous).await.unwrap_err();
        assert!(matches!(error, AttachError::WrongField), "{error:?}");

        let alice = jwt_for(&ctx, "alice");
        let (status, prepared) = post_as(&server, "prepare", &json!({"field": PRIVATE_DOC, "filename": "secret.txt", "size": 6, "content_type": "text/plain"}), Some(&alice)).await;
        assert_eq!(status, 201, "{prepared}");
        put_part(&prepared["parts"][0], b"secret").await;
        let (status, finalized) = post_as(&server, "finalize", &json!({"token": prepared["token"]}), Some(&alice)).await;
        assert_eq!(status, 200);
        let value = finalized["field_value"].as_str().unwrap();
        let error = joist.attach(&ctx.db, PRIVATE_DOC, value, &Owner::User("bob".into())).await.unwrap_err();
        assert!(matches!(error, AttachError::WrongOwner), "{error:?}");
        let error = joist.attach(&ctx.db, PRIVATE_DOC, value, &Owner::Anonymous).await.unwrap_err();
        assert!(matches!(error, AttachError::WrongOwner), "{error:?}");
        let file = joist.attach(&ctx.db, PRIVATE_DOC, value, &Owner::User("alice".into())).await.unwrap();
        assert!(file.key().starts_with("uploads/test.private_doc/"));
    })
    .await;
}

#[tokio::test]
async fn an_unfinished_upload_cannot_be_attached() {
    request(|server, ctx| async move {
        let joist = Joist::from_context(&ctx).unwrap();
        let finalized = upload(&server, PUBLIC_DOC, "b.txt", b"b", "text/plain").await;
        let record = joist::models::Upload::find(
            &ctx.db,
            finalized["upload"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        joist::models::Upload::transition(
            &ctx.db,
            record.id,
            &[UploadStatus::Finalized],
            UploadStatus::Aborted,
            joist::models::uploads::Changes::default(),
        )
        .await
        .unwrap();
        let error = joist
            .attach(
                &ctx.db,
                PUBLIC_DOC,
                finalized["field_value"].as_str().unwrap(),
                &Owner::Anonymous,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, AttachError::NotFinalized(UploadStatus::Aborted)),
            "{error:?}"
        );
    })
    .await;
}
