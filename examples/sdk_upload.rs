//! The reference for the browser throughput benchmark: uploads a file with aws-sdk-s3's own
//! multipart calls (create, parts `CONCURRENCY` at a time, complete) and prints the rate.
//!
//! ```sh
//! JOIST_ENDPOINT=… JOIST_REGION=… JOIST_BUCKET=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
//!   cargo run --release --example sdk_upload -- FILE PART_SIZE CONCURRENCY
//! ```

use std::{io::Write, time::Instant};

use aws_sdk_s3::{
    config::{BehaviorVersion, Credentials, Region},
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart},
};
use futures::{StreamExt, stream};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() == 3,
        "usage: sdk_upload FILE PART_SIZE CONCURRENCY"
    );
    let content = std::fs::read(&args[0]).expect("the file");
    let part_size =
        usize::try_from(joist::config::byte_size::parse(&args[1]).expect("a part size"))
            .expect("a size");
    let concurrency: usize = args[2].parse().expect("a concurrency");
    // joist builds the SDK without a default HTTP client: the same rustls client its own calls use
    let http = joist::s3::tls::TrustedRoots::default()
        .sdk_client()
        .expect("an HTTP client");
    let config = aws_sdk_s3::Config::builder()
        .http_client(http)
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(env("JOIST_ENDPOINT"))
        .region(Region::new(env("JOIST_REGION")))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "bench",
        ))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let bucket = env("JOIST_BUCKET");
    let key = format!("bench/sdk-{}", uuid::Uuid::new_v4());
    let started = Instant::now();
    let created = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .expect("create");
    let upload_id = created.upload_id().expect("an upload id").to_string();
    let mut parts: Vec<CompletedPart> = stream::iter(content.chunks(part_size).enumerate())
        .map(|(index, chunk)| {
            let (client, bucket, key, upload_id) = (&client, &bucket, &key, &upload_id);
            let number = i32::try_from(index + 1).expect("a part number");
            async move {
                let part = client
                    .upload_part()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(ByteStream::from(chunk.to_vec()))
                    .send()
                    .await
                    .expect("a part");
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(ToString::to_string))
                    .build()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    parts.sort_by_key(CompletedPart::part_number);
    client
        .complete_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = content.len() as f64 / seconds / 1e6;
    let _ = writeln!(
        std::io::stdout(),
        "sdk bytes={} seconds={seconds:.2} MB/s={rate:.1}",
        content.len()
    );
}
