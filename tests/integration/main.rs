//! Engine integration tests: the dummy host, the JSON API, real bytes to the development
//! endpoint, records on SQLite (or PostgreSQL with `DATABASE_URL`).

mod abort;
mod admin;
mod attach;
mod background;
mod bad_input;
mod boot;
mod cleanup;
mod concurrency;
mod conformance;
mod content;
mod database;
mod events;
mod faults;
mod hostile;
mod limits;
mod models;
mod multipart;
mod operations;
mod quarantine;
mod scanning;
mod single;
mod sts;
mod support;
mod uppy;
mod variants;
mod views;
