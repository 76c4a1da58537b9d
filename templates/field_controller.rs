// In the controller that saves the record (with `request: Parts` among its extractors, the
// submitted field value in `params.{{column}}`, and `item` the record as loaded):
let joist = joist::Joist::from_context(&ctx)?;
let owner = joist
    .owner(&ctx, &request, "{{field}}")
    .await
    .map_err(|error| Error::Unauthorized(error.to_string()))?;
let {{column}} = joist
    .apply(&ctx.db, "{{field}}", &params.{{column}}, &owner, item.{{column}}.clone())
    .await
    .map_err(|error| Error::BadRequest(error.to_string()))?;
let mut active = item.into_active_model();
active.{{column}} = Set({{column}});
// To link the file: `joist.download_url(&file)` is a presigned GET URL.
