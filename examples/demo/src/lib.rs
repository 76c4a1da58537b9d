//! A Loco app using joist: cars with an owner's manual uploaded straight to S3.

pub mod app;
pub mod controllers;
pub mod fields;
pub mod fingerprint;
pub mod initializers;
pub mod models;
