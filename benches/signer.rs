//! The signer: presigning part URLs and signing and verifying upload tokens.
//!
//! ```sh
//! cargo bench -p joist --bench signer
//! ```

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::{
    hint::black_box,
    time::{Duration, SystemTime},
};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use joist::{
    s3::{
        endpoint::Endpoint,
        presign::{PresignRequest, Presigner, SigningCredentials},
    },
    signing::{Purpose, Signer, UploadClaims},
};

const KEY: &str =
    "uploads/car.owners_manual/6f1c1f6e-2b7e-4f1e-9d36-0b5c8f1d2a11/owners-manual.pdf";
const UPLOAD_ID: &str = "2~iCw_lDY8VoDDiSGTnRcGDgTY3mG1xjD0b5Qg8VqV6Z1h";

fn presigner() -> Presigner {
    Presigner::new(
        Endpoint::parse("https://s3.eu-west-3.amazonaws.com", false),
        "joist-bench".to_string(),
        "eu-west-3".to_string(),
    )
}

fn keys() -> SigningCredentials {
    SigningCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_string(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string(),
        session_token: None,
    }
}

fn part(number: u32) -> PresignRequest<'static> {
    PresignRequest {
        method: "PUT",
        key: KEY,
        params: vec![
            ("partNumber", number.to_string()),
            ("uploadId", UPLOAD_ID.to_string()),
        ],
        headers: vec![("content-length", (16_u64 << 20).to_string())],
        expires_in: Duration::from_hours(1),
    }
}

fn signer(c: &mut Criterion) {
    let presigner = presigner();
    let keys = keys();
    let now = SystemTime::now();
    let mut group = c.benchmark_group("signer");
    group.throughput(Throughput::Elements(1));
    group.bench_function("presign one part URL", |b| {
        b.iter(|| presigner.presign(black_box(&part(7)), now, &keys));
    });
    let window: Vec<_> = (1..=100).map(part).collect();
    group.throughput(Throughput::Elements(100));
    group.bench_function("presign a window of 100 part URLs", |b| {
        b.iter(|| {
            window
                .iter()
                .map(|request| presigner.presign(black_box(request), now, &keys))
                .collect::<Vec<_>>()
        });
    });
    let tokens = Signer::new(&["bench-secret-0123456789abcdef0123456789".to_string()]);
    let claims = UploadClaims {
        upload: uuid::Uuid::new_v4(),
        field: "car.owners_manual".to_string(),
        key: KEY.to_string(),
        owner: Some("4f9a6c2e-1d3b-4a5e-8f7c-9b0d1e2f3a4b".to_string()),
        expires_at: 4_102_444_800,
    };
    let token = tokens.sign(Purpose::UploadToken, &claims);
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign an upload token", |b| {
        b.iter(|| tokens.sign(Purpose::UploadToken, black_box(&claims)));
    });
    group.bench_function("verify an upload token", |b| {
        b.iter(|| {
            tokens.verify::<UploadClaims>(Purpose::UploadToken, black_box(&token), 1_800_000_000)
        });
    });
    group.finish();
}

criterion_group!(benches, signer);
criterion_main!(benches);
