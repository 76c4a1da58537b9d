//! Photos.

pub use super::_entities::photos::{ActiveModel, Column, Entity, Model};
