//! Any string given as an upload token, field value or admin confirmation is refused or verified,
//! never a panic; and a verified one was signed by the configured secret.
#![no_main]

use joist::signing::{AdminActionClaims, Purpose, Signer, UploadClaims};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let signer = Signer::new(&["fuzz-secret-0123456789abcdef0123456789".to_string()]);
    for purpose in [Purpose::UploadToken, Purpose::FieldValue] {
        if let Ok(claims) = signer.verify::<UploadClaims>(purpose, text, 0) {
            // Only a value this signer made verifies: signing the claims again gives it back.
            assert_eq!(signer.sign(purpose, &claims), text);
        }
    }
    if let Ok(claims) = signer.verify::<AdminActionClaims>(Purpose::AdminAction, text, 0) {
        assert_eq!(signer.sign(Purpose::AdminAction, &claims), text);
    }
});
