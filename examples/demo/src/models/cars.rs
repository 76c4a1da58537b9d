//! Cars.

pub use super::_entities::cars::{ActiveModel, Column, Entity, Model};
