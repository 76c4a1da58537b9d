//! The `/uppy` page and the npm files it loads: only the listed ones, never outside them.

use joist_demo::app::App;
use loco_rs::testing::request::request_with_create_db;

#[tokio::test]
async fn serves_the_listed_uppy_files_and_nothing_else() {
    request_with_create_db::<App, _, _>(|server, _ctx| async move {
        let page = server.get("/uppy").await;
        assert_eq!(page.status_code(), 200);
        assert!(page.text().contains("Uppy"), "{}", page.text());

        let shim = server.get("/uppy/shim/core.mjs").await;
        assert_eq!(shim.status_code(), 200);
        assert_eq!(
            shim.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        assert!(shim.text().contains("EventManager"));

        for refused in [
            "/uppy/vendor/uppy/package.json",
            "/uppy/vendor/uppy/dist/..%2F..%2F..%2FCargo.toml",
            "/uppy/vendor/uppy/dist//uppy.min.mjs",
            "/uppy/vendor/@uppy/core/lib/%2e%2e/package.json",
            "/uppy/shim/other.mjs",
        ] {
            let answer = server.get(refused).await;
            assert_eq!(answer.status_code(), 404, "{refused}");
            assert_eq!(
                answer.json::<serde_json::Value>()["error"]["code"],
                "unknown_file",
                "{refused}"
            );
        }

        let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("node_modules/uppy/dist/uppy.min.mjs")
            .is_file();
        let bundle = server.get("/uppy/vendor/uppy/dist/uppy.min.mjs").await;
        if installed {
            assert_eq!(bundle.status_code(), 200);
            assert_eq!(
                bundle.header("content-type"),
                "text/javascript; charset=utf-8"
            );
        } else {
            assert_eq!(bundle.status_code(), 404);
            assert_eq!(
                bundle.json::<serde_json::Value>()["error"]["code"],
                "not_installed"
            );
        }
    })
    .await;
}
